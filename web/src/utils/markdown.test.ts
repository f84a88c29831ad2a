// @vitest-environment jsdom
// DOMPurify needs a faithful DOM parser: under happy-dom it lets attributes such as onerror through
// (browsers and jsdom parse as it expects), so the sanitiser is tested on jsdom.
import { describe, expect, it } from 'vitest'
import { renderMarkdown } from './markdown'

describe('renderMarkdown', () => {
  it('renders the markdown a model writes', () => {
    const html = renderMarkdown('**Bao** lives in *Hangzhou*:\n\n- 龙井茶\n- `code`')
    expect(html).toContain('<strong>Bao</strong>')
    expect(html).toContain('<em>Hangzhou</em>')
    expect(html).toContain('<li>龙井茶</li>')
    expect(html).toContain('<code>code</code>')
  })

  it('shows raw HTML as text instead of running it', () => {
    const html = renderMarkdown('<img src=x onerror="alert(1)"><script>alert(2)</script>')
    expect(html).not.toContain('<img')
    expect(html).not.toContain('<script')
    expect(html).toContain('&lt;script&gt;')
  })

  it('drops javascript: links', () => {
    const html = renderMarkdown('[click](javascript:alert(1)) <a href="javascript:alert(2)">x</a>')
    const links = new DOMParser().parseFromString(html, 'text/html').querySelectorAll('a')
    expect(links).toHaveLength(0) // both stay visible as text, neither becomes a link
  })

  it('opens links in a new tab without handing over the page', () => {
    const html = renderMarkdown('See https://example.org')
    expect(html).toContain('href="https://example.org"')
    expect(html).toContain('target="_blank"')
    expect(html).toContain('rel="noopener noreferrer nofollow"')
  })
})
