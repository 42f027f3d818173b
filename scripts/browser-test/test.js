#!/usr/bin/env node
// Drives gdisent notebooks in a real headless Chromium through the classic Jupyter notebook UI: Run All, wait for
// the kernel to go idle, then check what a user would see. Started by scripts/browser-test.sh, which provides the
// Jupyter server (private kernel spec pointing at this checkout, GDISENT_QUICK=1).
//
//   node test.js --url http://127.0.0.1:PORT --token TOKEN --out DIR [--figures DIR] NOTEBOOK[=MIN_IMAGES] ...
//
// A notebook given as view:NOTEBOOK is opened as committed (from the server's committed/ folder) without running
// it: its kept outputs must render (viewNotebook).
//
// Per notebook it prints PASS/FAIL lines and saves a full-page screenshot to DIR/<notebook>.png; it exits 1 when
// any check failed. Every wait is bounded (GDISENT_BROWSER_NB_TIMEOUT seconds per notebook, default 1200).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const puppeteer = require('puppeteer-core');

// What each known notebook is checked for, besides "no errors" and "at least minImages images".
//   progress: the cell (found by a source substring) whose training progress must be ONE output updated in place.
//   edit: change a hyperparameter in a cell, re-run it and the `rerun` cells; the `expect` cell's old output must be
//         replaced (has the new text, lacks the old, no extra outputs).
//   explorer: the cell running an explore widget, driven with its sliders and buttons.
const SPECS = {
  'quickstart.ipynb': {
    minImages: 5,
    progress: {cell: '.Train('},
    explorer: {cell: 'e.Show('},
    edit: {
      cell: 'steps = notebook.Pick', from: 'notebook.Pick(1800, 20)', to: 'notebook.Pick(1800, 30)', rerun: ['.Train('],
      expect: {cell: '.Train(', has: 'trained to step 30', lacks: 'trained to step 20'},
    },
  },
  'explorer.ipynb': {
    minImages: 2,
    explorer: {cell: 'e.Show('},
    edit: {
      cell: 'var sliderRange', from: 'var sliderRange = 3.0', to: 'var sliderRange = 2.0', rerun: ['plots.Traversal('],
      expect: {cell: 'plots.Traversal(', has: 'traversals over ±2', lacks: 'traversals over ±3'},
    },
  },
};

// Text in stderr that means a cell failed (as scripts/nbrun.py).
const ERROR_MARKERS = ['panic:', 'ERROR failed to run', 'exit status', 'gonb: error'];

function parseArgs(argv) {
  const a = {notebooks: [], chromium: '/usr/bin/chromium', figures: ''};
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k.startsWith('--')) {
      a[k.slice(2)] = argv[++i];
    } else {
      const view = k.startsWith('view:');
      const [name, min] = (view ? k.slice(5) : k).split('=');
      a.notebooks.push({name, view, min: min === undefined ? undefined : parseInt(min, 10)});
    }
  }
  for (const k of ['url', 'token', 'out']) {
    if (!a[k]) throw new Error(`missing --${k}`);
  }
  if (a.notebooks.length === 0) throw new Error('no notebooks given');
  return a;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const results = [];
function report(nb, check, ok, detail) {
  results.push({nb, check, ok});
  console.log(`${ok ? 'PASS' : 'FAIL'} ${nb}: ${check}${detail ? ' — ' + detail : ''}`);
}

// In-page helpers (serialised into the page; they use the classic notebook's global Jupyter object).
const PAGE_HELPERS = `
window.__g = {
  cells() { return Jupyter.notebook.get_cells(); },
  find(sub) { const i = this.cells().findIndex(c => c.cell_type === 'code' && c.get_text().includes(sub)); return i; },
  busy() {
    const running = this.cells().some(c => c.cell_type === 'code' && c.element[0].classList.contains('running'));
    const icon = document.querySelector('#kernel_indicator_icon');
    const idle = icon && icon.classList.contains('kernel_idle_icon');
    return running || !idle;
  },
  outputs(i) { return this.cells()[i].output_area.outputs; },
  areas(i) { return Array.from(this.cells()[i].element[0].querySelectorAll('.output_area')); },
  text(i) { return this.areas(i).map(a => a.innerText).join('\\n'); },
  images(root) {
    root = root || document;
    return root.querySelectorAll('.output_subarea img').length + root.querySelectorAll('.output_subarea svg').length -
      root.querySelectorAll('.output_subarea svg svg').length;
  },
  brokenImages() {
    return Array.from(document.querySelectorAll('.output_subarea img')).filter(im => !im.complete || im.naturalWidth === 0).length;
  },
  problems() {
    const out = [];
    this.cells().forEach((c, i) => {
      if (c.cell_type !== 'code') return;
      for (const o of c.output_area.outputs) {
        if (o.output_type === 'error') out.push('cell ' + i + ': ' + o.ename + ': ' + o.evalue);
        if (o.output_type === 'stream' && o.name === 'stderr') {
          for (const m of ${JSON.stringify(ERROR_MARKERS)}) {
            if (o.text.includes(m)) { out.push('cell ' + i + ': stderr has ' + JSON.stringify(m) + ': ' + o.text.slice(0, 300)); break; }
          }
        }
      }
    });
    return out;
  },
};`;

async function waitFor(page, what, fn, timeoutMs, pollMs = 250, ...args) {
  const t0 = Date.now();
  for (;;) {
    const v = await page.evaluate(fn, ...args);
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}`);
    await sleep(pollMs);
  }
}

// waitIdle waits until no cell runs and the kernel is idle, twice in a row; onPoll runs at every poll.
async function waitIdle(page, timeoutMs, onPoll) {
  const t0 = Date.now();
  let calm = 0;
  while (calm < 2) {
    if (onPoll) await onPoll();
    const busy = await page.evaluate(() => window.__g.busy());
    calm = busy ? 0 : calm + 1;
    if (Date.now() - t0 > timeoutMs) throw new Error(`kernel still busy after ${Math.round(timeoutMs / 1000)}s`);
    await sleep(200);
  }
}

// explorerInteract drives the explore widget of the running cell and returns when its Done button was clicked.
async function explorerInteract(page, nb, args, deadline) {
  const root = '.gdisent-explorer[data-ready="1"]';
  const ready = await waitFor(page, 'the explorer widget to connect', (root) => {
    if (document.querySelector(root)) return 'ready';
    return window.__g.busy() ? null : 'finished';
  }, deadline - Date.now(), 250, root);
  if (ready !== 'ready') {
    report(nb, 'explorer widget connected', false, 'the explorer cell finished without its widget connecting');
    return;
  }
  report(nb, 'explorer widget connected', true);
  await page.evaluate(() => document.querySelector('img[data-explorer-image]').scrollIntoView({block: 'start'}));
  await page.screenshot({path: path.join(args.out, nb.replace(/\.ipynb$/, '') + '-live.png')});

  // act(...) runs one UI action in the page and waits (≤ 20s) for the displayed image to change; returns ms or -1.
  const act = (action) => page.evaluate(async (action) => {
    const root = document.querySelector('.gdisent-explorer');
    const src = () => { const im = document.querySelector('img[data-explorer-image]'); return im ? im.src : ''; };
    const before = src();
    const t0 = performance.now();
    if (action.slider) {
      const el = root.querySelector(`input[type="range"][data-mode="${action.slider.mode}"][data-index="${action.slider.index}"]`);
      if (!el) return {ms: -1, why: 'no such slider'};
      el.value = action.slider.value;
      el.dispatchEvent(new Event('input', {bubbles: true}));
      el.dispatchEvent(new Event('change', {bubbles: true}));
    } else if (action.click) {
      root.querySelector(`button[data-action="${action.click}"]`).click();
    } else if (action.select) {
      const el = root.querySelector(`select[data-action="${action.select.action}"]`);
      if (!el) return {ms: -1, why: 'no such menu'};
      el.value = action.select.value;
      el.dispatchEvent(new Event('change', {bubbles: true}));
    }
    while (performance.now() - t0 < 20000) {
      const s = src();
      if (s && s !== before) return {ms: performance.now() - t0};
      await new Promise((r) => setTimeout(r, 2));
    }
    return {ms: -1, why: 'the image did not change within 20s'};
  }, action);

  // Slider moves: each must change the image; the times are the full round trip browser → kernel → browser.
  const lat = [];
  let moved = 0;
  const values = [-2.5, -1.2, 0.3, 1.4, 2.6, -0.6, 1.9, -1.8];
  for (let i = 0; i < values.length; i++) {
    const r = await act({slider: {mode: 'codes', index: 3, value: values[i]}});
    if (r.ms >= 0) { moved++; lat.push(r.ms); } else console.log(`     slider move ${i}: ${r.why}`);
  }
  report(nb, 'explorer: moving a slider changes the displayed image', moved === values.length,
    `${moved}/${values.length} moves changed the image`);
  if (lat.length) {
    lat.sort((a, b) => a - b);
    console.log(`INFO ${nb}: slider → new image displayed in the browser: median ${lat[lat.length >> 1].toFixed(0)} ms, ` +
      `max ${lat[lat.length - 1].toFixed(0)} ms over ${lat.length} moves (target < 100 ms)`);
  }
  const modes = await page.evaluate(() => Array.from(document.querySelectorAll('.gdisent-explorer select[data-action="mode"] option')).map(o => o.value));
  for (const m of modes.filter(m => m !== 'codes')) {
    // Switching keeps the image (the current latent becomes the base): wait for the mode's sliders instead.
    await page.evaluate((m) => {
      const el = document.querySelector('.gdisent-explorer select[data-action="mode"]');
      el.value = m;
      el.dispatchEvent(new Event('change', {bubbles: true}));
    }, m);
    await waitFor(page, `mode ${m}`, (m) => {
      const t = document.querySelector(`.gdisent-explorer table[data-group="${m}"]`);
      return t && t.style.display !== 'none';
    }, 20000, 100, m);
    const r = await act({slider: {mode: m, index: 0, value: 1.7}});
    report(nb, `explorer: ${m} mode slider changes the image`, r.ms >= 0, r.why || `${r.ms.toFixed(0)} ms`);
  }
  const rs = await act({click: 'reseed'});
  report(nb, 'explorer: New sample changes the image', rs.ms >= 0, rs.why);
  const hasImages = await page.evaluate(() => !!document.querySelector('.gdisent-explorer select[data-action="image"]'));
  if (hasImages) {
    const pk = await act({select: {action: 'image', value: '1'}});
    let st = '';
    try {
      st = await waitFor(page, 'the encoded base', () => {
        const t = document.querySelector('.gdisent-explorer [data-status]').textContent;
        return t.includes('encoded') || t.startsWith('error') ? t : null;
      }, 20000, 50);
    } catch (e) { st = e.message; }
    report(nb, 'explorer: encoding a real image changes the image', pk.ms >= 0 && st.includes('encoded'), pk.why || st);
  }
  await page.evaluate(() => document.querySelector('.gdisent-explorer button[data-action="export"]').click());
  let exported = '';
  try {
    exported = await waitFor(page, 'the export', () => {
      const t = document.querySelector('.gdisent-explorer [data-status]').textContent;
      return t.startsWith('exported') || t.startsWith('error') ? t : null;
    }, 60000);
  } catch (e) { exported = e.message; }
  const files = (exported.match(/exported \d+ files: (.*)$/) || [, ''])[1].split(', ').filter(Boolean);
  const missing = files.filter((f) => !fs.existsSync(f) || fs.statSync(f).size === 0);
  const wantDir = args.figures ? files.every((f) => f.startsWith(args.figures)) : true;
  report(nb, 'explorer: Export writes PNG, SVG and PDF files', files.length === 6 && missing.length === 0 && wantDir,
    files.length ? `${files.length} files${missing.length ? ', missing ' + missing.join(' ') : ''}` : exported);
  await page.evaluate(() => document.querySelector('.gdisent-explorer button[data-action="done"]').click());
}

async function runNotebook(browser, args, nbArg) {
  const nb = nbArg.name;
  const spec = Object.assign({minImages: 1}, SPECS[nb] || {});
  if (nbArg.min !== undefined) spec.minImages = nbArg.min;
  const timeoutMs = 1000 * parseInt(process.env.GDISENT_BROWSER_NB_TIMEOUT || '1200', 10);
  const deadline = Date.now() + timeoutMs;
  const page = await browser.newPage();
  await page.setViewport({width: 1280, height: 900});
  const consoleLog = fs.createWriteStream(path.join(args.out, nb.replace(/\.ipynb$/, '') + '.console.log'));
  page.on('console', (m) => consoleLog.write(`[${m.type()}] ${m.text()}\n`));
  page.on('pageerror', (e) => consoleLog.write(`[pageerror] ${e.message}\n`));
  page.on('dialog', (d) => d.accept());
  const shot = path.join(args.out, nb.replace(/\.ipynb$/, '') + '.png');
  try {
    const url = `${args.url}/notebooks/${encodeURIComponent(nb)}?token=${args.token}`;
    await page.goto(url, {waitUntil: 'load', timeout: 120000});
    await waitFor(page, 'the notebook and its kernel', () =>
      window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected() &&
      document.querySelector('#kernel_indicator_icon.kernel_idle_icon') !== null, 180000);
    await page.evaluate(PAGE_HELPERS);
    await page.evaluate(() => Jupyter.notebook.set_autosave_interval(0));
    report(nb, 'notebook opened, kernel "Go (gdisent)" idle', true);

    // Run All from the menu, watching the training progress output while it runs.
    const prog = spec.progress ? {idx: await page.evaluate((s) => window.__g.find(s), spec.progress.cell), maxAreas: 0, texts: new Set()} : null;
    // Committed notebooks keep the outputs of a full run: clear them so every check sees this run's outputs only.
    await page.evaluate(() => Jupyter.notebook.clear_all_output());
    const clicked = await page.evaluate(() => { const a = document.querySelector('#run_all_cells > a'); if (a) a.click(); return !!a; });
    if (!clicked) await page.evaluate(() => Jupyter.notebook.execute_all_cells());
    const t0 = Date.now();
    await sleep(500);
    const poll = prog && prog.idx >= 0 ? async () => {
      const s = await page.evaluate((i) => {
        const areas = window.__g.areas(i).filter((a) => a.querySelector('progress'));
        return {n: areas.length, text: areas.map((a) => a.innerText).join('|')};
      }, prog.idx);
      prog.maxAreas = Math.max(prog.maxAreas, s.n);
      if (s.n) prog.texts.add(s.text);
    } : null;
    if (spec.explorer) {
      // The explorer cell runs until Done: drive it while Run All is in progress, still watching the training
      // progress of the cells before it.
      const timer = poll ? setInterval(() => { poll().catch(() => {}); }, 250) : null;
      try {
        await explorerInteract(page, nb, args, deadline);
      } finally {
        if (timer) clearInterval(timer);
      }
    }
    await waitIdle(page, deadline - Date.now(), poll);
    console.log(`INFO ${nb}: Run All finished in ${((Date.now() - t0) / 1000).toFixed(0)}s`);

    const problems = await page.evaluate(() => window.__g.problems());
    report(nb, 'no error output', problems.length === 0, problems.join('; '));
    const images = await page.evaluate(() => window.__g.images());
    report(nb, `rendered images >= ${spec.minImages}`, images >= spec.minImages, `${images} images`);
    if (prog) {
      report(nb, 'training progress is one output area', prog.idx >= 0 && prog.maxAreas === 1,
        prog.idx < 0 ? `no cell contains ${spec.progress.cell}` : `at most ${prog.maxAreas} progress output areas`);
      report(nb, 'training progress updated in place', prog.texts.size >= 2, `${prog.texts.size} distinct contents seen`);
    }
    if (spec.explorer) {
      const i = await page.evaluate((s) => window.__g.find(s), spec.explorer.cell);
      const txt = i >= 0 ? await page.evaluate((i) => window.__g.text(i), i) : '';
      report(nb, 'explorer closed with its last image and summary', txt.includes('explorer closed') &&
        (await page.evaluate((i) => window.__g.images(Jupyter.notebook.get_cell(i).element[0]), i)) >= 1, txt.split('\n').slice(-2).join(' / '));
    }

    if (spec.edit) {
      const e = spec.edit;
      const idx = await page.evaluate((e) => ({
        edit: window.__g.find(e.cell), rerun: e.rerun.map((s) => window.__g.find(s)), expect: window.__g.find(e.expect.cell),
      }), e);
      const before = await page.evaluate((i) => ({n: window.__g.areas(i).length, text: window.__g.text(i), images: window.__g.images(Jupyter.notebook.get_cell(i).element[0])}), idx.expect);
      const edited = await page.evaluate((i, from, to) => {
        const c = Jupyter.notebook.get_cell(i);
        const t = c.get_text();
        if (!t.includes(from)) return false;
        c.set_text(t.replace(from, to));
        return true;
      }, idx.edit, e.from, e.to);
      if (!edited || idx.rerun.includes(-1) || idx.expect < 0) {
        report(nb, `edit "${e.from}" → "${e.to}" and re-run`, false, 'cell or text not found in the notebook');
      } else {
        await page.evaluate((cells) => Jupyter.notebook.execute_cells(cells), [idx.edit, ...idx.rerun]);
        await sleep(500);
        await waitIdle(page, deadline - Date.now());
        const after = await page.evaluate((i) => ({n: window.__g.areas(i).length, text: window.__g.text(i), images: window.__g.images(Jupyter.notebook.get_cell(i).element[0])}), idx.expect);
        const problems = await page.evaluate(() => window.__g.problems());
        const ok = after.text.includes(e.expect.has) && !after.text.includes(e.expect.lacks) && after.n <= before.n &&
          after.images === before.images && problems.length === 0;
        report(nb, `edit "${e.from}" → "${e.to}", re-run: old outputs replaced`, ok,
          `output areas ${before.n} → ${after.n}, images ${before.images} → ${after.images}, ` +
          `has "${e.expect.has}": ${after.text.includes(e.expect.has)}, still has "${e.expect.lacks}": ${after.text.includes(e.expect.lacks)}` +
          (problems.length ? `; errors: ${problems.join('; ')}` : ''));
      }
    }
  } catch (err) {
    report(nb, 'run', false, err.message);
  } finally {
    await fullPageScreenshot(page, nb, shot);
    consoleLog.end();
    await page.close().catch(() => {});
    await shutdownKernels(args);
  }
}

// fullPageScreenshot saves the whole notebook, every cell, to file (a failure is reported, not raised).
async function fullPageScreenshot(page, label, file) {
  try {
    await page.evaluate(() => {
      // Let the notebook flow with the page so that a full-page screenshot shows every cell.
      for (const el of [document.documentElement, document.body, document.getElementById('site')]) {
        if (el) { el.style.height = 'auto'; el.style.overflow = 'visible'; }
      }
    });
    await sleep(500); // let the layout settle: Jupyter resizes #site on its own events
    await page.screenshot({path: file, fullPage: true});
    console.log(`INFO ${label}: screenshot ${file}`);
  } catch (e) {
    console.log(`INFO ${label}: no screenshot: ${e.message}`);
  }
}

// viewNotebook opens a notebook as committed, without running it, and checks what a reader browsing the repository
// sees: outputs of a full run (at least the notebook's min_images images, every one decoded by the browser) and no
// error output. The full-page screenshot goes to DIR/committed/<notebook>.png.
async function viewNotebook(browser, args, nbArg) {
  const nb = nbArg.name;
  const label = `${nb} (committed outputs)`;
  const page = await browser.newPage();
  await page.setViewport({width: 1280, height: 900});
  page.on('dialog', (d) => d.accept());
  fs.mkdirSync(path.join(args.out, 'committed'), {recursive: true});
  try {
    const url = `${args.url}/notebooks/committed/${encodeURIComponent(nb)}?token=${args.token}`;
    await page.goto(url, {waitUntil: 'load', timeout: 120000});
    await waitFor(page, 'the notebook', () => window.Jupyter && Jupyter.notebook && Jupyter.notebook._fully_loaded, 120000);
    await page.evaluate(PAGE_HELPERS);
    await page.evaluate(() => Jupyter.notebook.set_autosave_interval(0));
    await waitFor(page, 'its images to decode', () => Array.from(document.querySelectorAll('.output_subarea img'))
      .every((im) => im.complete), 60000);
    const kept = await page.evaluate(() => window.__g.cells().some((c) => c.cell_type === 'code' && c.output_area.outputs.length > 0));
    if (!kept) {
      console.log(`INFO ${label}: no outputs committed (the notebook has not been run in full)`);
      return;
    }
    const want = await page.evaluate(() => ((Jupyter.notebook.metadata.gdisent || {}).min_images) || 1);
    const images = await page.evaluate(() => window.__g.images());
    const broken = await page.evaluate(() => window.__g.brokenImages());
    report(label, `shows >= ${want} images, none broken`, images >= want && broken === 0, `${images} images, ${broken} broken`);
    const problems = await page.evaluate(() => window.__g.problems());
    report(label, 'no error output', problems.length === 0, problems.join('; '));
  } catch (err) {
    report(label, 'open', false, err.message);
  } finally {
    await fullPageScreenshot(page, label, path.join(args.out, 'committed', nb.replace(/\.ipynb$/, '') + '.png'));
    await page.close().catch(() => {});
    await shutdownKernels(args);
  }
}

// shutdownKernels ends every session of the server (this test's server: its kernels are ours).
async function shutdownKernels(args) {
  try {
    const r = await fetch(`${args.url}/api/sessions?token=${args.token}`, {signal: AbortSignal.timeout(10000)});
    for (const s of await r.json()) {
      await fetch(`${args.url}/api/sessions/${s.id}?token=${args.token}`, {method: 'DELETE', signal: AbortSignal.timeout(30000)});
    }
  } catch (e) {
    console.log(`INFO could not shut the kernels down through the server: ${e.message}`);
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  fs.mkdirSync(args.out, {recursive: true});
  // A fresh browser profile: the one given (the shell entry's, so that it can find a stray browser), or a new one.
  const profile = args.profile || fs.mkdtempSync(path.join(os.tmpdir(), 'gdisent-chromium-'));
  fs.mkdirSync(profile, {recursive: true});
  const browser = await puppeteer.launch({
    executablePath: args.chromium,
    headless: false, // the flags below include --headless
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars',
      `--user-data-dir=${profile}`],
    timeout: 60000,
    protocolTimeout: 120000,
  });
  try {
    for (const nb of args.notebooks) {
      if (nb.view) await viewNotebook(browser, args, nb);
      else await runNotebook(browser, args, nb);
    }
  } finally {
    await browser.close().catch(() => {});
    fs.rmSync(profile, {recursive: true, force: true});
  }
  const failed = results.filter((r) => !r.ok);
  console.log(`browser test: ${results.length - failed.length} passed, ${failed.length} failed`);
  process.exit(failed.length ? 1 : 0);
}

main().catch((e) => {
  console.log(`FAIL browser test: ${e.stack || e}`);
  process.exit(1);
});
