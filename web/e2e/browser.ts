// Debian's Chromium driven by playwright-core (no browser is ever downloaded).
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'

export const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url))

export const DESKTOP = { width: 1280, height: 800 }
export const PHONE = { width: 375, height: 740 }

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
}

/** Waits until opening drawers, dialogs and tags have finished their transitions. */
export async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() =>
    document
      .getAnimations()
      .every(
        (animation) =>
          animation.playState !== 'running' ||
          animation.effect?.getComputedTiming().iterations === Infinity,
      ),
  )
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  await settled(page)
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) })
}

/** Fails on content wider than the viewport (a sideways scroll on a phone). */
export async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
}

/** axe-core's serious and critical findings on the page as it is now ("rule: target" lines). */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  // Colours are checked as they are at rest: a toast caught fading in or out (a Vue transition's
  // `*-enter-active` / `*-leave-active` class) has a contrast that no user reads it at.
  await page.waitForFunction(
    () => !document.querySelector('[class*="-enter-active"], [class*="-leave-active"]'),
    undefined,
    { timeout: 5000 },
  )
  const { source } = await import('axe-core')
  // Evaluated through the DevTools protocol: the app's content security policy refuses inline
  // script tags (as it should), and the test must not weaken it for the page.
  await page.evaluate(`${source}\n;undefined`)
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: typeof import('axe-core') }).axe
    const { violations } = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    })
    return violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .flatMap((violation) =>
        violation.nodes.map((node) => `${violation.id}: ${node.target.join(' ')}`),
      )
  })
}
