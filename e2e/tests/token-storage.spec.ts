import { expect, test } from '../support/fixtures.ts';

/** Everything page code can persist or show: web storage, every IndexedDB record, and the DOM. */
const DUMP_PAGE_STATE = `(async () => {
  const storage = (s) => Object.keys(s).map((k) => k + '=' + s.getItem(k));
  const databases = indexedDB.databases ? await indexedDB.databases() : [];
  const records = [];
  for (const { name } of databases) {
    if (!name) continue;
    const db = await new Promise((resolve, reject) => { const r = indexedDB.open(name); r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
    for (const store of Array.from(db.objectStoreNames)) {
      const all = await new Promise((resolve, reject) => { const r = db.transaction(store).objectStore(store).getAll(); r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
      records.push(name + '/' + store + ':' + JSON.stringify(all));
    }
    db.close();
  }
  return {
    localStorage: storage(localStorage),
    sessionStorage: storage(sessionStorage),
    indexedDB: records,
    html: document.documentElement.outerHTML,
    cookie: document.cookie,
  };
})()`;

interface PageState {
  localStorage: string[];
  sessionStorage: string[];
  indexedDB: string[];
  html: string;
  cookie: string;
}

test('after login no token-like string is in localStorage, sessionStorage, IndexedDB or the page’s HTML', async ({ signIn, worklist, viewer, page, context }) => {
  const { accessToken, user } = await signIn('rad.okafor');
  await worklist.open(user.studies[0] ?? '');
  await viewer.waitForRendered({ imageIndex: 0 });

  const refreshCookie = (await context.cookies()).find((c) => c.name === 'rs_refresh');
  expect(refreshCookie, 'the refresh cookie is set').toBeDefined();
  expect(refreshCookie?.httpOnly).toBe(true);
  expect(refreshCookie?.sameSite).toBe('Strict');
  expect(refreshCookie?.path).toBe('/api/auth');

  const state = (await page.evaluate(DUMP_PAGE_STATE)) as PageState;
  const everything = [...state.localStorage, ...state.sessionStorage, ...state.indexedDB, state.html, state.cookie].join('\n');
  expect(everything).not.toContain(accessToken);
  expect(everything).not.toContain(refreshCookie?.value ?? '<no cookie>');
  // Token-like: a JWT, a Bearer header, or any long opaque base64url run.
  expect(everything).not.toMatch(/eyJ[\w-]{8,}\.[\w-]{8,}/);
  expect(everything).not.toMatch(/Bearer\s+\S/);
  // Any long run mixing upper case, lower case and digits, as opaque tokens do (DOM ids and
  // class names are words joined by hyphens).
  expect(state.html.match(/(?=[\w-]*\d)(?=[\w-]*[A-Z])(?=[\w-]*[a-z])[\w-]{32,}/g) ?? []).toEqual([]);
  // Cornerstone keeps its log level and GPU probe in localStorage; that is all there is.
  for (const entry of state.localStorage) expect(entry).toMatch(/^(loglevel|cornerstone3D\.[\w.]+)=/);
  expect(state.sessionStorage).toEqual([]);
});
