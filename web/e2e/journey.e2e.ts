// A person's first visit, against the real backend on the embedded model: sign up, tell a fact,
// ask about it in a new conversation, see the memory behind the answer, add health data (a
// record by hand, a file of low-step days), get recommendations, see the profile, correct and
// forget a memory, sign out. Then the same pages at phone width, a renewed access token, and
// exporting the account's data and deleting it. Screenshots land in e2e/screenshots/ (look at
// them); axe-core checks the main states for serious WCAG 2.1 AA problems (contrast, names,
// labels).
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import en from '../src/i18n/en'
import zh from '../src/i18n/zh-CN'
import {
  DESKTOP,
  PHONE,
  SCREENSHOTS,
  accessibilityProblems,
  horizontalOverflow,
  launchChromium,
  screenshot,
} from './browser'

const baseURL = inject('baseURL')
const username = `e2e_${Date.now().toString(36)}`
const password = 'correct horse battery'
const FACT = 'My dog is called Bao and I live in Hangzhou'
/** What the assistant remembers of FACT about the dog: a fact in the user's words. */
const DOG = 'My dog is called Bao'
const HEALTH = zh.data.types.health

/** A CSV of four earlier days of few steps, and one row the server must reject. */
function lowStepsCsv(): string {
  const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10)
  return [
    'data_type,recorded_at,steps,sleep_hours',
    `health,${day(1)},3100,6.5`,
    `health,${day(2)},2800,`,
    `health,${day(3)},abc,7`,
    `health,${day(4)},3500,`,
    `health,${day(5)},2200,6`,
  ].join('\n')
}

/** The day `daysAgo` days back, as Apple Health writes times (China time, +0800). */
function appleTime(daysAgo: number, hour: number): string {
  const day = new Date(Date.now() + 8 * 3_600_000 - daysAgo * 86_400_000).toISOString().slice(0, 10)
  return `${day} ${String(hour).padStart(2, '0')}:00:00 +0800`
}

/**
 * An Apple Health export.xml as the Health app writes it (its layout: a HealthData root of
 * Record elements), for 14 days: blood pressure near 148/95 each morning, steps, sleep, weight.
 */
function appleHealthExport(): string {
  const records: string[] = []
  const record = (type: string, unit: string, value: number | string, start: string, end = start) =>
    records.push(
      `<Record type="${type}" sourceName="iPhone" unit="${unit}" startDate="${start}" endDate="${end}" value="${value}"/>`,
    )
  for (let day = 13; day >= 1; day--) {
    const morning = appleTime(day, 8)
    record('HKQuantityTypeIdentifierBloodPressureSystolic', 'mmHg', 146 + (day % 4), morning)
    record('HKQuantityTypeIdentifierBloodPressureDiastolic', 'mmHg', 93 + (day % 3), morning)
    record('HKQuantityTypeIdentifierStepCount', 'count', 3800 + ((day * 1370) % 4200), appleTime(day, 18))
    record('HKQuantityTypeIdentifierBodyMass', 'kg', (78.6 - day * 0.05).toFixed(1), appleTime(day, 7))
    record(
      'HKCategoryTypeIdentifierSleepAnalysis',
      '',
      'HKCategoryValueSleepAnalysisAsleepCore',
      appleTime(day + 1, 23),
      appleTime(day, 5 + (day % 3)),
    )
  }
  record('HKQuantityTypeIdentifierActiveEnergyBurned', 'kcal', 12, appleTime(2, 9))
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE HealthData [<!ELEMENT HealthData (ExportDate?,Record*)>]>',
    '<HealthData locale="zh_CN">',
    `<ExportDate value="${appleTime(0, 9)}"/>`,
    ...records,
    '</HealthData>',
  ].join('\n')
}

/** An Alipay bill as the app exports it (account lines, then the table), for two months. */
function alipayBill(): string {
  const month = (back: number, day: number) => {
    const date = new Date()
    date.setUTCDate(1)
    date.setUTCMonth(date.getUTCMonth() - back)
    return `${date.toISOString().slice(0, 8)}${String(day).padStart(2, '0')} 12:00:00`
  }
  const rows = [
    [month(1, 3), '餐饮美食', '支出', '1260.00'],
    [month(1, 5), '交通出行', '支出', '320.00'],
    [month(1, 10), '收入', '收入', '12000.00'],
    [month(1, 12), '日用百货', '支出', '640.00'],
    [month(0, 1), '餐饮美食', '支出', '1980.00'],
    [month(0, 1), '交通出行', '支出', '300.00'],
    [month(0, 1), '收入', '收入', '12000.00'],
  ]
  return [
    '------------------------------------------------------------------------------------',
    '导出信息：',
    '支付宝账户：e2e@example.com',
    '------------------------支付宝（中国）网络技术有限公司  电子客户回单------------------------',
    '交易时间,交易分类,交易对方,对方账号,商品说明,收/支,金额,收/付款方式,交易状态,交易订单号,商家订单号,备注,',
    ...rows.map(([time, category, direction, amount], i) =>
      `${time},${category},商家,/,商品,${direction},${amount},花呗,交易成功,2026${i},M${i},,`,
    ),
  ].join('\n')
}

let browser: Browser

beforeAll(async () => {
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
})

/** Collects what the page logs as errors; the journey should produce none. */
function watchErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  page.on('console', (message) => {
    // The browser logs every 4xx it sees; the tests check those through what the page shows.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      errors.push(message.text())
    }
  })
  return errors
}

/** Sends a message and waits for the streamed answer to finish. */
async function ask(page: Page, message: string, streamingShot?: string): Promise<void> {
  const turnsBefore = await page.locator('article.turn').count()
  await page.getByLabel(zh.chat.inputLabel).fill(message)
  await page.getByLabel(zh.chat.inputLabel).press('Enter')
  const turn = page.locator('article.turn').nth(turnsBefore)
  await expect.poll(() => turn.locator('.from-user').innerText()).toContain(message)
  if (streamingShot) {
    // While the answer is written, Stop replaces Send (a fast answer may finish first).
    const stop = page.getByRole('button', { name: zh.chat.stop })
    if (await stop.isVisible()) await screenshot(page, streamingShot)
    else console.log(`${streamingShot}: the answer finished before the screenshot`)
  }
  // The answer is done when the memories button of its turn appears.
  await turn.locator('.memories-button').waitFor({ timeout: 90_000 })
}

describe('desktop', () => {
  let page: Page
  let errors: string[]

  beforeAll(async () => {
    page = await browser.newPage({ viewport: DESKTOP, locale: 'zh-CN' })
    errors = watchErrors(page)
  })

  it('asks to sign in, and signs up', async () => {
    const served = await page.goto(baseURL)
    // Served under a content security policy (any violation would be logged as an error below).
    expect(served?.headers()['content-security-policy']).toContain("script-src 'self'")
    expect(served?.headers()['x-content-type-options']).toBe('nosniff')
    expect(served?.headers()['server']).toBeUndefined()
    await page.waitForURL(/\/sign-in/)
    await page.getByRole('heading', { name: zh.auth.signInTitle }).waitFor()
    await screenshot(page, 'desktop-01-sign-in')
    expect(await accessibilityProblems(page)).toEqual([])

    await page.getByRole('link', { name: zh.auth.signUp }).click()
    await page.waitForURL(/\/sign-up/)
    await page.getByLabel(zh.auth.username).fill(username)
    // A password that is too easy to guess is refused, and the form says why at the field.
    await page.getByLabel(zh.auth.password, { exact: true }).fill('password')
    await page.getByRole('button', { name: zh.auth.signUp }).click()
    await page.getByText(zh.accountSafety.passwordTooWeak).waitFor()
    await screenshot(page, 'desktop-02-sign-up-weak-password')
    await page.getByLabel(zh.auth.password, { exact: true }).fill(password)
    await screenshot(page, 'desktop-02-sign-up')
    expect(await accessibilityProblems(page)).toEqual([])
    await page.getByRole('button', { name: zh.auth.signUp }).click()
    await page.waitForURL(/\/chat$/)
    await page.getByRole('heading', { name: zh.chat.emptyTitle }).waitFor()
    await expect.poll(() => page.locator('.user-button').innerText()).toContain(username)
    await screenshot(page, 'desktop-03-chat-empty')
  })

  it('streams an answer to a fact and files the new conversation', async () => {
    await ask(page, FACT, 'desktop-04-streaming')
    await page.waitForURL(/\/chat\/[0-9a-f]+$/)
    const list = page.getByRole('navigation', { name: zh.chat.conversations })
    await expect.poll(() => list.innerText()).toContain(FACT)
    expect(await page.locator('.from-assistant .markdown').first().innerText()).not.toBe('')
    await screenshot(page, 'desktop-05-first-answer')
  })

  it('answers in a new conversation with the fact among the memories used', async () => {
    await page.getByRole('button', { name: zh.chat.newConversation }).click()
    await page.waitForURL(/\/chat$/)
    await page.getByRole('heading', { name: zh.chat.emptyTitle }).waitFor()

    await ask(page, "What is my dog's name?")
    const button = page.locator('article.turn').last().locator('.memories-button')
    expect(await button.innerText()).toMatch(/用到的记忆（[1-9]\d*）/)
    await screenshot(page, 'desktop-06-second-answer')
    expect(await accessibilityProblems(page)).toEqual([])

    // Thumbs up on the answer.
    const answerFeedback = page.locator('article.turn').last().getByRole('button', {
      name: zh.feedback.up.replace('{subject}', zh.feedback.thisAnswer),
    })
    await answerFeedback.click()
    await page.getByText(zh.feedback.thanks).waitFor()
    expect(await answerFeedback.getAttribute('aria-pressed')).toBe('true')
    // The thumb is still there after a reload: the client asks for the user's own feedback.
    await page.reload()
    await page.locator('article.turn').last().locator('.memories-button').waitFor()
    await expect.poll(() => answerFeedback.getAttribute('aria-pressed')).toBe('true')

    await button.click()
    const drawer = page.getByRole('dialog', { name: zh.memory.drawerTitle })
    await drawer.waitFor()
    // What the message said is remembered as a fact (and in its words): the dog's name is among them.
    await expect.poll(() => drawer.innerText()).toContain('My dog is called Bao')
    expect(await drawer.innerText()).toMatch(/相关度 \d+%/)
    await screenshot(page, 'desktop-07-memories-drawer')
    expect(await accessibilityProblems(page)).toEqual([])
    await page.keyboard.press('Escape')
    await drawer.waitFor({ state: 'hidden' })
  })

  it('stops an answer on request', async () => {
    await page.getByLabel(zh.chat.inputLabel).fill('Tell me a long story about Hangzhou.')
    await page.getByLabel(zh.chat.inputLabel).press('Enter')
    await page.getByRole('button', { name: zh.chat.stop }).click()
    await page.getByText(zh.chat.stopped).waitFor()
    await page.getByRole('button', { name: zh.chat.send, exact: true }).waitFor()
    await screenshot(page, 'desktop-08-stopped')
  })

  it('tells a message that waits for the model its place in line', async () => {
    // Two more windows of the same person keep the one model busy: a long answer, and one waiting.
    const signedIn = await page.context().storageState()
    const windows = [
      await browser.newContext({ viewport: DESKTOP, locale: 'zh-CN', storageState: signedIn }),
      await browser.newContext({ viewport: DESKTOP, locale: 'zh-CN', storageState: signedIn }),
    ]
    const others = [await windows[0]!.newPage(), await windows[1]!.newPage()]
    for (const other of others) {
      await other.goto(`${baseURL}/chat`)
      await other.getByLabel(zh.chat.inputLabel).fill('Tell me a long story about West Lake.')
      await other.getByLabel(zh.chat.inputLabel).press('Enter')
      await other.getByRole('button', { name: zh.chat.stop }).waitFor()
    }
    await page.getByLabel(zh.chat.inputLabel).fill('And what about tea?')
    await page.getByLabel(zh.chat.inputLabel).press('Enter')
    await page.getByText(/正在排队等待模型：你排在第 \d 位/).waitFor({ timeout: 60_000 })
    await screenshot(page, 'desktop-09-queued')
    for (const other of others) await other.getByRole('button', { name: zh.chat.stop }).click()
    for (const window of windows) await window.close()
    await page.getByRole('button', { name: zh.chat.stop }).click()
    await page.getByText(zh.chat.stopped).last().waitFor()
  })

  it('adds health data: consent, a record by hand, then a file of earlier days', async () => {
    await page.getByRole('link', { name: zh.nav.userData }).click()
    await page.getByRole('heading', { name: zh.data.title }).waitFor()
    // Nothing can be saved before consent.
    const save = page.getByRole('button', { name: zh.data.save.replace('{type}', HEALTH) })
    expect(await save.isDisabled()).toBe(true)
    await page.getByText(zh.records.empty).waitFor()
    const consent = page.getByRole('switch', { name: zh.consent.switchLabel.replace('{type}', HEALTH) })
    await page.locator('.el-switch', { has: consent }).click()
    await page.getByText(zh.consent.turnedOn.replace('{type}', HEALTH)).waitFor()
    expect(await consent.isChecked()).toBe(true)

    // The form refuses an empty record, then saves today's steps.
    await save.click()
    await page.getByRole('alert').getByText(zh.data.rules.atLeastOne).waitFor()
    await page.getByLabel(zh.data.fields.steps).fill('2600')
    await page.getByLabel(zh.data.fields.sleep_hours).fill('6')
    await save.click()
    await page.getByText(zh.data.added).waitFor()
    await page.locator('.record', { hasText: '2600' }).waitFor()

    // Earlier days from a CSV file: four rows written, one rejected with its reason.
    await page.getByLabel(zh.dataImport.fileLabel).setInputFiles({
      name: 'steps.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(lowStepsCsv()),
    })
    // The file is checked first (nothing saved): what it brings, and that one row will be rejected.
    await page.getByText(zh.dataImport.willReject.replace('{n}', '1')).waitFor()
    await page.getByRole('button', { name: zh.dataImport.send }).click()
    const written = zh.dataImport.written.replace('{n}', '4').replace('{rejected}', '1')
    await page.getByText(written).waitFor()
    await page.getByRole('heading', { name: zh.dataImport.rejectedTitle }).waitFor()
    const rejected = page.locator('.rejected')
    expect(await rejected.innerText()).toMatch(/^3\s/m) // the third data row: steps "abc"
    expect(await rejected.innerText()).toContain('steps')
    await expect.poll(() => page.locator('.record').count()).toBe(5)
    await screenshot(page, 'desktop-09-user-data')
    expect(await accessibilityProblems(page)).toEqual([])

    // The list filters by type.
    await page.locator('.filters .el-select').first().click()
    await page.getByRole('option', { name: zh.data.types.finance }).click()
    await page.getByText(zh.records.noMatch).waitFor()
  })

  it('imports an Apple Health export and an Alipay bill, then shows the trends in both languages', async () => {
    const finance = page.getByRole('switch', {
      name: zh.consent.switchLabel.replace('{type}', zh.data.types.finance),
    })
    await page.locator('.el-switch', { has: finance }).click()
    await page.getByText(zh.consent.turnedOn.replace('{type}', zh.data.types.finance)).waitFor()

    await page.getByLabel(zh.dataImport.fileLabel).setInputFiles({
      name: 'export.xml',
      mimeType: 'text/xml',
      buffer: Buffer.from(appleHealthExport()),
    })
    const check = page.locator('[aria-labelledby="check-title"]')
    await check.getByText(zh.dataImport.kinds.days.replace('{n}', '13')).waitFor()
    await check.getByText(zh.dataImport.kinds.blood_pressure.replace('{n}', '13')).waitFor()
    expect(await check.innerText()).toContain(
      zh.dataImport.checkTitle.replace('{app}', zh.dataImport.formats.apple_health),
    )
    await page.getByRole('button', { name: zh.dataImport.send }).click()
    // 13 days and 13 blood pressure readings; the unknown sample type is noted, not refused.
    await page.getByText(zh.dataImport.written.replace('{n}', '26').replace('{rejected}', '0')).waitFor()
    await page.getByText(/ActiveEnergyBurned/).waitFor()

    await page.getByLabel(zh.dataImport.fileLabel).setInputFiles({
      name: 'alipay.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(alipayBill()),
    })
    // The preview totals the bill before anything is saved.
    await check.getByText(zh.dataImport.kinds.finance.replace('{n}', '7')).waitFor()
    expect(await check.innerText()).toMatch(/收入 CNY 24,000\.00，支出 CNY 4,500\.00/)
    await screenshot(page, 'desktop-09a-import-preview')
    await page.getByRole('button', { name: zh.dataImport.send }).click()
    await page.getByText(zh.dataImport.written.replace('{n}', '7').replace('{rejected}', '0')).waitFor()
    // The list (still filtered to finance) shows the months and categories of the bill.
    await expect.poll(() => page.locator('.record').count()).toBe(7)
    expect(await page.locator('.records').innerText()).toContain(zh.data.categories.food)
    await page.locator('.record').first().scrollIntoViewIfNeeded()
    await screenshot(page, 'desktop-09b-imports')

    await page.getByRole('link', { name: zh.nav.charts }).click()
    await page.getByRole('heading', { name: zh.charts.title, level: 1 }).waitFor()
    const pressure = page.locator('#chart-blood_pressure')
    await pressure.locator('svg').first().waitFor()
    expect(await pressure.innerText()).toContain(zh.charts.metrics.blood_pressure)
    // The analysis runs in the background after an import: its insight appears on a reload.
    await expect
      .poll(
        async () => {
          if (await pressure.locator('.insights li').count()) return true
          await page.reload()
          await pressure.locator('svg').first().waitFor()
          return (await pressure.locator('.insights li').count()) > 0
        },
        { timeout: 90_000, interval: 2_000 },
      )
      .toBe(true)
    await page.locator('.periods .el-radio-button', { hasText: zh.charts.periods['90'] }).click()
    await page.waitForURL(/days=90/)
    await page.locator('#chart-expense_categories svg').first().waitFor()
    await screenshot(page, 'desktop-20-charts-zh')
    await pressure.screenshot({ path: `${SCREENSHOTS}/chart-blood-pressure-zh.png` })
    expect(await accessibilityProblems(page)).toEqual([])

    await page.getByRole('button', { name: zh.nav.otherLanguage }).click()
    await page.getByRole('heading', { name: en.charts.title, level: 1 }).waitFor()
    await pressure.locator('.insights li', { hasText: /blood pressure/ }).first().waitFor()
    await screenshot(page, 'desktop-21-charts-en')
    await pressure.screenshot({ path: `${SCREENSHOTS}/chart-blood-pressure-en.png` })
    await page.locator('#chart-finance_month').screenshot({ path: `${SCREENSHOTS}/chart-finance-en.png` })
    expect(await accessibilityProblems(page)).toEqual([])
    await page.getByRole('button', { name: en.nav.otherLanguage }).click()
    await page.getByRole('heading', { name: zh.charts.title, level: 1 }).waitFor()
  })

  it('gives recommendations per dimension, with sources and feedback', async () => {
    await page.getByRole('link', { name: zh.nav.recommendations }).click()
    await page.getByRole('heading', { name: zh.recommendations.title, level: 1 }).waitFor()
    const health = page.getByRole('region', { name: HEALTH })
    await health.locator('.item').first().waitFor({ timeout: 90_000 })
    for (const dimension of ['finance', 'education'] as const) {
      await page.getByRole('region', { name: zh.data.types[dimension] }).waitFor()
    }
    const item = health.locator('.item').first()
    expect(await item.locator('.advice').innerText()).not.toBe('')
    expect(await item.locator('.rationale').innerText()).not.toBe('')
    await screenshot(page, 'desktop-10-recommendations')
    expect(await accessibilityProblems(page)).toEqual([])

    await item.getByRole('button', { name: /^有帮助：/ }).click()
    await page.getByText(zh.feedback.thanks).first().waitFor()
    await item.getByRole('button', { name: zh.feedback.adopt }).click()
    await item.getByRole('button', { name: zh.feedback.adopted }).waitFor()

    // The records behind the advice, highlighted on their chart.
    await item.locator('.chart-link').click()
    await page.waitForURL(/\/charts\?highlight=/)
    await page.locator('.trend-chart.has-highlight').first().waitFor()
    await screenshot(page, 'desktop-10b-advice-on-chart')
    await page.goBack()
    await page.getByRole('heading', { name: zh.recommendations.title, level: 1 }).waitFor()

    // A source opens the insight or record it cites, marked on its page.
    const source = item.locator('.source-link').first()
    await source.waitFor()
    await source.click()
    await page.waitForURL(/#(insight|record|memory)-/)
    await page.locator('.linked-target').waitFor()
    await screenshot(page, 'desktop-11-source')
  })

  it('shows the profile with its insights, and takes a correction', async () => {
    await page.goto(`${baseURL}/profile`)
    await page.getByRole('heading', { name: zh.profile.title, level: 1 }).waitFor()
    await page.locator('.insight', { hasText: /步/ }).first().waitFor()
    await page.getByRole('button', { name: zh.profile.edit }).click()
    await page.getByRole('textbox', { name: zh.profile.summaryTitle }).fill('Walks little; wants to move more.')
    await page.getByRole('textbox', { name: zh.profile.preferences.goals }).fill('walk 7000 steps a day')
    await page.getByRole('button', { name: zh.profile.save, exact: true }).click()
    await page.getByText(zh.profile.saved).waitFor()
    await page.getByText('Walks little; wants to move more.').waitFor()
    await page.getByText(zh.profile.editedByYou).waitFor()
    await screenshot(page, 'desktop-12-profile')
    expect(await accessibilityProblems(page)).toEqual([])
  })

  it('lists, corrects, searches and forgets memories', async () => {
    await page.getByRole('link', { name: zh.nav.memories }).click()
    await page.waitForURL(/\/memories$/)
    const item = page.locator('.memory-item', { hasText: DOG })
    await item.waitFor()
    await screenshot(page, 'desktop-13-memories')

    // Correct it, and see the old text in its history.
    await item.getByRole('button', { name: /^编辑记忆：/ }).click()
    const editor = page.getByRole('dialog', { name: zh.memoryEdit.title })
    await editor.getByLabel(zh.memoryEdit.textLabel).fill(`${DOG}, near West Lake`)
    await editor.getByRole('button', { name: zh.memoryEdit.save }).click()
    await page.getByText(zh.memoryEdit.saved).waitFor()
    await expect.poll(() => item.innerText()).toContain('near West Lake')
    await item.getByRole('button', { name: /^查看记忆的历史：/ }).click()
    const history = page.getByRole('dialog', { name: zh.memoryHistory.title })
    await expect.poll(() => history.innerText()).toContain(zh.memoryHistory.events.update)
    expect(await history.locator('del').innerText()).toBe(DOG)
    await screenshot(page, 'desktop-14-memory-history')
    expect(await accessibilityProblems(page)).toEqual([])
    await page.keyboard.press('Escape')
    await history.waitFor({ state: 'hidden' })

    await page.getByLabel(zh.memories.searchLabel).fill('dog')
    await page.getByLabel(zh.memories.searchLabel).press('Enter')
    await page.getByText(zh.memories.resultsFor.replace('{query}', 'dog')).waitFor()
    await expect.poll(() => item.innerText()).toMatch(/相关度 \d+%/)
    await screenshot(page, 'desktop-15-memories-search')
    expect(await accessibilityProblems(page)).toEqual([])

    await item.getByRole('button', { name: /删除记忆/ }).click()
    const confirm = page.getByRole('dialog', { name: zh.memories.confirmTitle })
    await confirm.waitFor()
    await screenshot(page, 'desktop-16-confirm-delete')
    await confirm.getByRole('button', { name: zh.memories.confirm }).click()
    await page.getByText(zh.memories.deleted).waitFor()
    await item.waitFor({ state: 'detached' })

    // Gone on the server too, not only from the list.
    await page.reload()
    await page.getByText(zh.memories.newestFirst).waitFor()
    expect(await page.locator('.memory-item', { hasText: DOG }).count()).toBe(0)
    await screenshot(page, 'desktop-17-after-delete')
  })

  it('switches to English and back, remembering the choice', async () => {
    await page.getByRole('button', { name: zh.nav.otherLanguage }).click()
    await page.getByRole('heading', { name: en.memories.title }).waitFor()
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en')
    await page.reload()
    await page.getByRole('heading', { name: en.memories.title }).waitFor()
    await screenshot(page, 'desktop-18-memories-english')
    await page.getByRole('button', { name: en.nav.otherLanguage }).click()
    await page.getByRole('heading', { name: zh.memories.title }).waitFor()
  })

  it('starts keyboard users with a link past the header', async () => {
    await page.goto(`${baseURL}/chat`)
    await page.getByRole('heading', { name: zh.chat.emptyTitle }).waitFor()
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(zh.app.skipToContent)
    await page.keyboard.press('Enter')
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('main')
  })

  it('signs out, and then asks to sign in again', async () => {
    await page.goto(`${baseURL}/chat`)
    await page.locator('.user-button').click()
    await page.getByRole('menuitem', { name: zh.nav.signOut }).click()
    await page.waitForURL(/\/sign-in/)
    await page.getByText(zh.auth.signedOut).waitFor()
    await screenshot(page, 'desktop-19-signed-out')

    await page.goto(`${baseURL}/memories`)
    await page.waitForURL(/\/sign-in\?redirect=/)
    expect(await page.evaluate(() => localStorage.getItem('memadvisor.session'))).toBeNull()
    expect(errors).toEqual([])
  })
})

describe('phone', () => {
  let page: Page
  let errors: string[]

  beforeAll(async () => {
    page = await browser.newPage({ viewport: PHONE, isMobile: true, hasTouch: true, locale: 'zh-CN' })
    errors = watchErrors(page)
  })

  it('signs in with a wrong password, then the right one', async () => {
    await page.goto(`${baseURL}/sign-in`)
    await page.getByLabel(zh.auth.username).fill(username)
    await page.getByLabel(zh.auth.password, { exact: true }).fill('not the password')
    await page.getByRole('button', { name: zh.auth.signIn }).click()
    await page.getByRole('alert').getByText(zh.auth.wrongCredentials).waitFor()
    await screenshot(page, 'phone-01-sign-in-error')

    await page.getByLabel(zh.auth.password, { exact: true }).fill(password)
    await page.getByRole('button', { name: zh.auth.signIn }).click()
    await page.waitForURL(/\/chat$/)
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0)
    await screenshot(page, 'phone-02-chat-empty')
  })

  it('chats, with the conversation list and the memories in drawers', async () => {
    await ask(page, '我住在杭州，喜欢喝龙井茶。')
    // The bundled demo model writes no Chinese: the banner says so, and the answer is a notice.
    await page.getByText(zh.system.demoTitle).waitFor()
    const answer = page.locator('article.turn').last()
    expect(await answer.locator('.fallback-label').innerText()).toContain(zh.system.fallbackLabel)
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0)
    await screenshot(page, 'phone-03-chat')
    expect(await accessibilityProblems(page)).toEqual([])

    await page.locator('article.turn').last().locator('.memories-button').click()
    const drawer = page.getByRole('dialog', { name: zh.memory.drawerTitle })
    await drawer.waitFor()
    await screenshot(page, 'phone-04-memories-drawer')
    await page.keyboard.press('Escape')
    await drawer.waitFor({ state: 'hidden' })

    await page.getByRole('button', { name: zh.chat.conversations }).click()
    const list = page.getByRole('navigation', { name: zh.chat.conversations })
    await expect.poll(() => list.innerText()).toContain('我住在杭州')
    await screenshot(page, 'phone-05-conversation-list')
    expect(await accessibilityProblems(page)).toEqual([])
    await list.getByRole('link').first().click()
    await list.waitFor({ state: 'hidden' })
  })

  it('manages memories at phone width', async () => {
    await page.getByRole('link', { name: zh.nav.memories }).click()
    await page.locator('.memory-item').first().waitFor()
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0)
    await screenshot(page, 'phone-06-memories')
    expect(await accessibilityProblems(page)).toEqual([])
  })

  it('shows recommendations, my data and the profile at phone width', async () => {
    // The desktop journey's data belongs to the same account: each page has content.
    for (const [path, heading, content, shot] of [
      ['/recommendations', zh.recommendations.title, '.recommendation-card .item', 'phone-07-recommendations'],
      ['/user-data', zh.data.title, '.record', 'phone-08-user-data'],
      ['/profile', zh.profile.title, '.insight', 'phone-09-profile'],
      ['/charts', zh.charts.title, '.trend-chart svg', 'phone-09b-charts'],
    ] as const) {
      await page.goto(`${baseURL}${path}`)
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor()
      await page.locator(content).first().waitFor({ timeout: 90_000 })
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0)
      await screenshot(page, shot)
      expect(await accessibilityProblems(page)).toEqual([])
    }
  })

  it('renews an expired access token with the refresh token, without signing out', async () => {
    const before = await page.evaluate(() => JSON.parse(localStorage.getItem('memadvisor.session')!))
    expect(before.refreshToken).toBeTruthy()
    // The access token is refused (as after its 15 minutes); the refresh token is still good.
    await page.evaluate(
      (session) =>
        localStorage.setItem(
          'memadvisor.session',
          JSON.stringify({ ...session, token: 'expired.access.token', expiresAt: Date.now() - 1000 }),
        ),
      before,
    )
    await page.goto(`${baseURL}/memories`)
    await page.locator('.memory-item').first().waitFor()
    expect(new URL(page.url()).pathname).toBe('/memories')
    const after = await page.evaluate(() => JSON.parse(localStorage.getItem('memadvisor.session')!))
    expect(after.token).not.toBe('expired.access.token')
    expect(after.refreshToken).not.toBe(before.refreshToken) // rotated
  })

  it('goes back to sign-in when the server refuses the stored token', async () => {
    await page.evaluate(() =>
      localStorage.setItem(
        'memadvisor.session',
        JSON.stringify({ token: 'forged.token.value', expiresAt: Date.now() + 3_600_000 }),
      ),
    )
    await page.goto(`${baseURL}/memories`)
    await page.waitForURL(/\/sign-in\?redirect=(%2F|\/)memories&expired=1/)
    await page.getByText(zh.auth.sessionExpired).waitFor()
    await screenshot(page, 'phone-10-session-expired')
    expect(errors).toEqual([])
  })

  it('downloads everything held about the account, then deletes the account', async () => {
    await page.getByLabel(zh.auth.username).fill(username)
    await page.getByLabel(zh.auth.password).fill(password)
    await page.getByRole('button', { name: zh.auth.signIn }).click()
    // Not /\/memories/: the sign-in page's own address has `redirect=/memories` in it, and leaving
    // it before the (now slower, session-opening) login answered left the app signed out.
    await page.waitForURL((url) => url.pathname === '/memories')
    await page.getByRole('heading', { name: zh.memories.title }).waitFor()
    await page.goto(`${baseURL}/privacy`)
    await page.getByRole('heading', { name: zh.privacy.title }).waitFor()
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0)
    await screenshot(page, 'phone-11-privacy')
    expect(await accessibilityProblems(page)).toEqual([])

    // A token for another assistant: shown once, listed without it, revoked.
    await page.getByLabel(zh.accessTokens.name).fill('Claude Desktop')
    await page.getByRole('button', { name: zh.accessTokens.create }).click()
    const shown = await page.getByTestId('new-token').innerText()
    expect(shown).toMatch(/^memadvisor_pat_/)
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0)
    expect(await accessibilityProblems(page)).toEqual([])
    await screenshot(page, 'phone-11c-access-token')
    await page.getByRole('button', { name: zh.accessTokens.done }).click()
    expect(await page.locator('.access-tokens').innerText()).not.toContain(shown)
    await page.getByRole('button', { name: zh.accessTokens.revokeNamed.replace('{name}', 'Claude Desktop') }).click()
    await page.locator('.el-message-box').getByRole('button', { name: zh.accessTokens.revoke }).click()
    await page.getByText(zh.accessTokens.empty).waitFor()

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: zh.privacy.exportButton }).click(),
    ])
    const { readFile } = await import('node:fs/promises')
    const exported = JSON.parse(await readFile((await download.path())!, 'utf8'))
    expect(exported.account.username).toBe(username)
    expect(JSON.stringify(exported.conversation_history)).toContain('我住在杭州')
    await expect.poll(() => page.locator('.audit .entry').count()).toBeGreaterThan(0)
    await page.locator('.audit .entry').last().scrollIntoViewIfNeeded()
    expect(await page.locator('.audit').innerText()).toContain(zh.audit.actions.login)
    await screenshot(page, 'phone-11b-audit-log')

    await page.getByRole('button', { name: zh.privacy.deleteButton }).click()
    await page.getByRole('button', { name: zh.privacy.deleteConfirm }).click()
    await page.waitForURL(/\/sign-in/)
    await page.getByText(zh.privacy.deleted).waitFor()
    await screenshot(page, 'phone-12-account-deleted')

    // The account is gone: signing in again is refused.
    await page.getByLabel(zh.auth.username).fill(username)
    await page.getByLabel(zh.auth.password).fill(password)
    await page.getByRole('button', { name: zh.auth.signIn }).click()
    await page.getByText(zh.auth.wrongCredentials).waitFor()
    expect(errors).toEqual([])
  })
})
