import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveSitePath } from './static-server.js';

const dist = fileURLToPath(new URL('../.vitepress/dist', import.meta.url));

function htmlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? htmlFiles(join(dir, entry.name))
      : entry.name.endsWith('.html')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** The site path a built page is served at (cleanUrls). */
function pagePath(file: string): string {
  const rel = relative(dist, file).replace(/\\/g, '/');
  return '/' + rel.replace(/(^|\/)index\.html$/, '$1').replace(/\.html$/, '');
}

describe('built site links', () => {
  const pages = htmlFiles(dist);

  it('has the pages the sidebar promises', () => {
    const paths = pages.map(pagePath);
    for (const path of ['/', '/guide/getting-started', '/guide/going-live', '/concepts/refer', '/api/']) {
      expect(paths).toContain(path);
    }
  });

  it('has no broken internal link or anchor', () => {
    const broken: string[] = [];
    const ids = new Map<string, Set<string>>();
    const idsOf = (file: string) => {
      let set = ids.get(file);
      if (!set) {
        set = new Set([...readFileSync(file, 'utf8').matchAll(/\sid="([^"]+)"/g)].map((m) => m[1] ?? ''));
        ids.set(file, set);
      }
      return set;
    };
    for (const page of pages) {
      const html = readFileSync(page, 'utf8');
      for (const [, href = ''] of html.matchAll(/<a [^>]*href="([^"]+)"/g)) {
        if (/^(https?:|mailto:|tel:|sip:)/.test(href)) continue;
        const [path = '', hash] = href.split('#');
        const base = new URL(pagePath(page), 'http://site');
        const target = new URL(path === '' ? base.pathname : path, base);
        const file = resolveSitePath(dist, target.pathname);
        if (!file) {
          broken.push(`${pagePath(page)} -> ${href}`);
        } else if (hash && file.endsWith('.html') && !idsOf(file).has(decodeURIComponent(hash))) {
          broken.push(`${pagePath(page)} -> ${href} (no such anchor)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});
