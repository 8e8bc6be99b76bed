// Browser test of the playground: Playwright (playwright-core from
// www/node_modules) drives Debian's Chromium (/usr/bin/chromium; a browser is
// never downloaded) against www/ served at IPC_WWW_URL (cargo xtask test
// serves it on a free port).
//
// Scenario: the app loads with two processes (uid 100, uid 200); A creates a
// queue (msgget IPC_CREAT key 0x10); A's msgrcv parks; B's msgsnd wakes it
// and A's take-result returns the text; IPC_RMID; a msgsnd with the old id
// fails with EINVAL; System V semaphores; then POSIX semaphores: sem_open,
// fork, a parked sem_wait that A's sem_post completes, sem_timedwait's
// deadline, sem_unlink while open, sem_close EINVAL, sem_destroy and exit;
// then System V shared memory: A and B attach one segment, B reads what A
// wrote, IPC_RMID while both are attached, the last shmdt frees it, and a
// read where nothing is attached is EFAULT; then event ports: a dispatcher
// process with two worker threads parked in port_getn, an FD event from a
// pipe write and a USER event from port_send each waking one worker, an
// alert that wakes both, port_getn in alert mode consuming nothing, ETIME
// with a partial result; then the timeline: jump back and forward, fork, and
// a shared link that reopens the same state; then playing the timeline (to
// its end, pause, speed, reduced motion), until the next wake-up / error /
// removal, the keyboard shortcuts (inert in a text field; Tab reaches every
// control), and the session kept across reloads (New session, saved sessions
// that cannot be replayed, no localStorage); last, every preset of
// www/presets/index.json (loaded at its start with its story, at its last
// step its explanation and "Goal reached"), a preset kept across a reload,
// and one that cannot be loaded.  Each group asserts on DOM text. Also: no page or console error, no
// horizontal scroll at 1366×768, and screenshots.
// Everyone can use it: axe-core (www/node_modules/axe-core, every default
// rule, none disabled) finds no violation with every panel filled, after a
// first msgget, at a deadlock, with a prediction asked, with the event ports
// filled and with the shortcut list open; the AVL tree's text twin (a nested
// list) has the drawing's keys in the same shape; the tables have headers;
// with prefers-reduced-motion nothing animates and the strip of markers jumps.
//
// Prints `browser: N passed, M failed` and exits non-zero on any failure.

import { launchChromium } from './chromium.mjs';
import { mkdirSync, copyFileSync, readFileSync, existsSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BASE = process.env.IPC_WWW_URL || 'http://127.0.0.1:8000/';
const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const SHOT = `${SHOTS}playground.png`;
const README_SHOT = fileURLToPath(new URL('../../www/screenshot.png', import.meta.url));
/** With IPC_UPDATE_README_SHOT, a panel's picture for the README: `www/screenshot-NAME.png`. */
const readmePanel = async (page, testid, name) => {
  if (!process.env.IPC_UPDATE_README_SHOT) return;
  const path = fileURLToPath(new URL(`../../www/screenshot-${name}.png`, import.meta.url));
  await page.locator(`[data-testid="${testid}"]`).screenshot({ path });
};
const TIMEOUT = 15000;

let passed = 0;
let failed = 0;
const pageErrors = [];

/** Set when the page did not load: the later groups are failed at once. */
let broken = false;

/** Runs one named group of assertions; a failure is reported and counted. */
async function group(name, body, { essential = false } = {}) {
  if (broken) {
    failed += 1;
    console.log(`FAIL - ${name} (not run: the page did not load)`);
    return;
  }
  try {
    await body();
    passed += 1;
    console.log(`ok   - ${name}`);
  } catch (e) {
    failed += 1;
    broken = essential;
    console.log(`FAIL - ${name}\n       ${String(e && e.message ? e.message : e).split('\n').join('\n       ')}`);
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/** Waits until the element's text matches `re`; returns the text. */
async function waitText(page, selector, re, what) {
  const loc = page.locator(selector);
  try {
    await page.waitForFunction(
      ([sel, src, flags]) => {
        const el = document.querySelector(sel);
        return el && new RegExp(src, flags).test(el.textContent);
      },
      [selector, re.source, re.flags],
      { timeout: TIMEOUT },
    );
  } catch {
    const text = (await loc.count()) ? await loc.first().textContent() : '(element missing)';
    throw new Error(`${what}: ${selector} text does not match ${re}; it is: ${text}`);
  }
  return loc.first().textContent();
}

const tid = (testid) => `[data-testid="${testid}"]`;

/** axe-core from www/node_modules (a devDependency, installed with the rest). */
const AXE = fileURLToPath(new URL('../../www/node_modules/axe-core/axe.min.js', import.meta.url));

/**
 * Runs axe-core on page `p` as it is now, with every rule axe runs by
 * default (WCAG 2 A and AA, and its best practices; none disabled), and adds
 * one entry per violation to `found`: the state, the rule's id, impact and
 * help, and each offending element's target and why.
 */
async function axeAt(p, state, found) {
  if (!(await p.evaluate(() => typeof window.axe === 'object' && window.axe !== null))) await p.addScriptTag({ path: AXE });
  const violations = await p.evaluate(async () => {
    const { violations: list } = await window.axe.run(document, { resultTypes: ['violations'] });
    return list.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${(n.failureSummary || '').replace(/\s*\n\s*/g, ' ')}`),
    }));
  });
  for (const v of violations) found.push(`[${state}] ${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.join('\n    ')}`);
}

/** Fails with every violation found, if any. */
function assertNoViolations(found) {
  assert(found.length === 0, `axe-core found ${found.length} violation(s):\n${found.join('\n')}`);
}

async function main() {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    page.setDefaultTimeout(TIMEOUT);
    page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`console error: ${m.text()}`);
    });
    page.on('requestfailed', (r) => pageErrors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on('response', (r) => {
      if (r.status() >= 400) pageErrors.push(`HTTP ${r.status()}: ${r.url()}`);
    });

    // Thread ids of the two initial processes, found from the DOM.
    let a = null;
    let b = null;
    let c = null;
    let msqid = null;

    await group('page loads with two processes (uid 100, uid 200)', async () => {
      await page.goto(BASE, { waitUntil: 'load' });
      await page.waitForSelector('[data-testid="app"][data-ready="true"]', { timeout: TIMEOUT }).catch(async () => {
        const fatal = await page.locator(tid('fatal')).textContent().catch(() => null);
        throw new Error(`app never became ready${fatal ? `: ${fatal}` : ''}; ${pageErrors.join('; ')}`);
      });
      const procs = page.locator('[data-testid^="proc-"]');
      assert((await procs.count()) === 2, `expected 2 processes, found ${await procs.count()}`);
      const text = await page.locator(tid('processes')).textContent();
      assert(/uid 100/.test(text) && /uid 200/.test(text), `processes panel lacks uid 100 / uid 200: ${text}`);
      // A fresh session offers a guided start.
      await waitText(page, tid('first-steps'), /New here\?.*msgget.*EACCES/s, 'the guided start');
      const threadIds = await page
        .locator('[data-testid^="thread-state-"]')
        .evaluateAll((els) => els.map((e) => Number(e.dataset.testid.replace('thread-state-', ''))));
      assert(threadIds.length === 2, `expected 2 threads, found ${threadIds.length}`);
      [a, b] = threadIds;
      assert(/runnable/.test(await page.locator(tid(`thread-state-${a}`)).textContent()), 'A is not runnable');
    }, { essential: true });

    await group('A creates a queue: msgget(0x10, IPC_CREAT|0600)', async () => {
      await page.locator(tid(`actor-${a}`)).check();
      await page.locator(tid('msgget-key')).fill('10');
      await page.locator(tid('msgget-mode')).fill('0600');
      if (!(await page.locator(tid('msgget-creat')).isChecked())) await page.locator(tid('msgget-creat')).check();
      await page.locator(tid('msgget')).click();
      const result = await waitText(page, tid('result-text'), /msqid 0x[0-9a-f]+ \((\d+)\)/, 'msgget result');
      msqid = Number(result.match(/msqid 0x[0-9a-f]+ \((\d+)\)/)[1]);
      assert((await page.locator(tid('msqid')).inputValue()) === String(msqid), 'msqid field was not set to the new id');
      await waitText(page, tid('queues'), new RegExp(`queue 0x[0-9a-f]+ \\(${msqid}\\) · key 0x00000010`), 'queue view');
      await waitText(page, tid('slots'), /◀ touched/, 'slot table marks the touched slot');
      await waitText(page, tid('avl-node-16'), /0x10/, 'AVL tree shows key 0x10');
      await waitText(page, tid('ids'), new RegExp(`\\(${msqid}\\)`), 'id list shows the id');
      await waitText(page, tid('queues'), /0\/8 messages, 0\/256 bytes/, 'queue limits');
    });

    await group('B may not write to the 0600 queue (EACCES); A opens it with IPC_SET 0666', async () => {
      await page.locator(tid(`actor-${b}`)).check();
      await waitText(page, tid('acting'), new RegExp(`tid ${b} \\(uid 200`), 'acting line');
      await page.locator(tid('msgsnd-text')).fill('hello from B');
      await page.locator(tid('msgsnd')).click();
      const denied = await waitText(page, tid('result-text'), /EACCES/, 'msgsnd by B');
      assert(/permission denied/.test(denied), `EACCES is not described: ${denied}`);
      await waitText(page, tid('result'), /mode 0600 .*does not grant write to uid 200/, 'EACCES explained');
      // The step explained: the narration (a live region) and the kernel
      // path with the refusing check marked, the lines after it not reached.
      await waitText(page, tid('narration'), /Refused by the check that the caller may write it: EACCES/, 'narration of the refusal');
      assert((await page.locator(tid('narration')).getAttribute('aria-live')) === 'polite', 'the narration is not a live region');
      const refused = await page.locator(`${tid('kernel-path')} li[data-mark="refused"]`).allInnerTexts();
      assert(refused.length === 1 && /ipcperm_access\(MSG_W\)/.test(refused[0]), `refused line: ${JSON.stringify(refused)}`);
      assert(/refused here/.test(refused[0]), 'the refused mark is not said in words');
      const marks = await page.locator(`${tid('kernel-path')} li`).evaluateAll((ls) => ls.map((l) => l.dataset.mark));
      const at = marks.indexOf('refused');
      assert(marks.slice(0, at).every((m) => m === 'passed') && marks.slice(at + 1).every((m) => m === 'not-reached'), `marks: ${marks}`);
      // What the refused call concerned is marked: its queue, and the slot its id maps to.
      await waitText(page, tid(`queue-touched-${msqid}`), /◀ this step refused msgsnd on it with EACCES/, 'the refused queue is marked');
      await waitText(page, tid('slots'), /◀ looked here: refused/, 'the slot the refused id maps to is marked');
      await page.locator(tid(`actor-${a}`)).check();
      await page.locator(tid('msgctl-mode')).fill('0666');
      await page.locator(tid('msgctl-set')).click();
      await waitText(page, tid('result-text'), /IPC_SET done/, 'IPC_SET by A');
      await waitText(page, tid('queues'), /mode 0666/, 'queue mode now 0666');
    });

    await group('A msgrcv without IPC_NOWAIT parks A with a reason', async () => {
      if (await page.locator(tid('msgrcv-nowait')).isChecked()) await page.locator(tid('msgrcv-nowait')).uncheck();
      await page.locator(tid('msgrcv')).click();
      await waitText(page, tid('result-text'), /parked: .*msgrcv/, 'msgrcv result');
      await waitText(page, tid(`thread-state-${a}`), /blocked: \S+/, "A's thread state");
      await waitText(page, tid('queues'), new RegExp(`receiver tid ${a} `), 'queue lists the parked receiver');
      // The step's changes are marked: the thread it parked, on its thread and on the queue.
      await waitText(page, tid(`parked-now-${a}`), /◀ parked by this step/, 'the parked thread is marked');
      await waitText(page, tid(`waiter-new-${a}`), /◀ parked by this step/, 'the new waiter is marked on the queue');
      await waitText(page, tid(`queue-touched-${msqid}`), /◀ this step parked a msgrcv on it/, 'the queue says the step parked a receiver');
    });

    await group('B msgsnd wakes A; A takes the message text', async () => {
      await page.locator(tid(`actor-${b}`)).check();
      await page.locator(tid('msgsnd')).click();
      await waitText(page, tid('result-text'), /ok: sent/, 'msgsnd by B');
      await waitText(page, tid('events'), new RegExp(`woke tid ${a}\\b.*msgrcv`), 'event log shows the wakeup');
      await waitText(page, tid('narration'), new RegExp(`It woke thread ${a} of pid \\d+, parked in msgrcv`), 'narration of the wakeup');
      // What the step touched is marked where it shows: the woken thread, and
      // the queue the message passed through (queued, then taken at once).
      await waitText(page, tid(`woken-${a}`), /↻ woken by this step/, 'the woken thread is marked');
      await waitText(page, tid(`queue-touched-${msqid}`), /◀ this step queued a 12-byte message of type 1 .*; then took a 12-byte message of type 1/, 'the queue says what the step did');
      const taken = await page.locator(`${tid('kernel-path')} li[data-mark="taken"]`).allInnerTexts();
      assert(taken.some((t) => /enqueue/.test(t)) && taken.some((t) => /msg_wakeup/.test(t)), `taken lines: ${JSON.stringify(taken)}`);
      await waitText(page, tid(`thread-state-${a}`), /finished msgrcv/, "A's thread finished");
      await page.locator(tid(`take-${a}`)).click();
      await waitText(page, tid('result-text'), /msgrcv completed: received type 1, 12 bytes: "hello from B"/, 'take result');
      await waitText(page, tid(`thread-state-${a}`), /runnable/, 'A runnable again');
      // The take-result button is gone; the keyboard focus is on the thread's own control, not lost to the page.
      await page.waitForFunction((id) => document.activeElement && document.activeElement.dataset.testid === id, `actor-${a}`);
    });

    await group('IPC_RMID removes the queue and frees the slot', async () => {
      await page.locator(tid(`actor-${a}`)).check();
      await page.locator(tid('msgctl-rmid')).click();
      await waitText(page, tid('result-text'), /queue removed/, 'IPC_RMID');
      await waitText(page, tid('queues'), /No queues/, 'queue list empty');
      await waitText(page, tid('avl'), /No keys yet/, 'AVL tree empty');
    });

    await group('msgsnd with the old id fails with EINVAL', async () => {
      await page.locator(tid('msqid')).fill(String(msqid));
      await page.locator(tid('msgsnd')).click();
      const text = await waitText(page, tid('result-text'), /EINVAL/, 'msgsnd with the old id');
      assert(/invalid argument/.test(text), `EINVAL is not described: ${text}`);
      await waitText(page, tid('result'), new RegExp(`no queue has id 0x[0-9a-f]+ \\(${msqid}\\)`), 'stale id explained');
      await waitText(page, tid('events'), /EINVAL/, 'event log shows EINVAL');
      // The stale id's slot is marked: the one the kernel looked in, now free.
      await waitText(page, tid('slots'), /free\s*◀ looked here: refused/, 'the stale id\'s slot is marked');
    });

    await group('semaphores: A parks on -1, B\'s +1 wakes it; IPC_RMID wakes a third process with EIDRM', async () => {
      await page.locator(tid(`actor-${a}`)).check();
      await page.locator(tid('semget-key')).fill('20');
      await page.locator(tid('semget-nsems')).fill('1');
      await page.locator(tid('semget-mode')).fill('0666');
      await page.locator(tid('semget')).click();
      await waitText(page, tid('result-text'), /ok: semid 0x[0-9a-f]+ \(\d+\)/, 'semget by A');
      const semid = Number(await page.locator(tid('semid')).inputValue());
      assert(Number.isInteger(semid), 'the semid field was not set to the new id');
      await waitText(page, tid(`semval-${semid}-0`), /^0$/, 'the new semaphore is 0');
      // The namespace views follow semget: semaphores have their own slot table and keys.
      await waitText(page, tid('slots'), /Slot table · sem[\s\S]*◀ touched/, 'the sem slot table, its new slot marked');
      await waitText(page, tid('avl'), /0x20/, 'the sem key tree holds key 0x20');
      await page.locator(tid('ns-msg')).click();
      await waitText(page, tid('slots'), /Slot table · msg/, 'back to the message queues namespace');
      await page.locator(tid('ns-sem')).click();

      await page.locator(tid('semop-sops')).fill('0 -1');
      await page.locator(tid('semop')).click();
      await waitText(page, tid('result-text'), /parked: semop: semaphore 0 of semid 0x[0-9a-f]+ needs semval ≥ 1/, 'semop -1 by A');
      await waitText(page, tid(`thread-state-${a}`), /blocked: semop/, "A's thread state");
      await waitText(page, tid(`semcnt-${semid}-0`), /ncnt 1 · zcnt 0/, 'A counted in semncnt');
      await waitText(page, tid(`sem-waiter-${a}`), /needs semval ≥ 1[\s\S]*◀ parked by this step/, 'A queued beside semaphore 0, marked as parked by this step');

      await page.locator(tid(`actor-${b}`)).check();
      await page.locator(tid('semop-sops')).fill('0 +1');
      await page.locator(tid('semop')).click();
      await waitText(page, tid('result-text'), /ok: the whole array was applied/, 'semop +1 by B');
      await waitText(page, tid('events'), new RegExp(`woke tid ${a}\\b.*semop`), 'event log shows the wakeup');
      await waitText(page, tid(`semcnt-${semid}-0`), /ncnt 0/, 'nobody counted any more');
      await page.locator(tid(`take-${a}`)).click();
      await waitText(page, tid('result-text'), /semop completed: done/, 'A takes its result');

      // A third process parks; IPC_RMID wakes it with EIDRM.
      const before = await page.locator('[data-testid^="thread-state-"]').count();
      await page.locator(tid('spawn')).click();
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid^="thread-state-"]').length > n, before);
      const tids = await page
        .locator('[data-testid^="thread-state-"]')
        .evaluateAll((els) => els.map((e) => Number(e.dataset.testid.replace('thread-state-', ''))));
      c = Math.max(...tids);
      await page.locator(tid(`actor-${c}`)).check();
      await page.locator(tid('semop-sops')).fill('0 -1');
      await page.locator(tid('semop')).click();
      await waitText(page, tid(`thread-state-${c}`), /blocked: semop/, "C's thread parks");
      await page.locator(tid(`actor-${a}`)).check();
      await page.locator(tid('semctl-rmid')).click();
      await waitText(page, tid('result-text'), /set removed/, 'IPC_RMID by A');
      await waitText(page, tid(`thread-state-${c}`), /finished semop: ✖ EIDRM/, 'C woken with EIDRM');
      await waitText(page, tid('semaphores'), /No semaphore sets yet/, 'the set is gone');
      const cls = await page.locator(tid(`thread-${c}`)).getAttribute('class');
      assert(/\bfailed\b/.test(cls), `a call that failed is drawn as a failure, not a success: class "${cls}"`);
      await page.locator(tid(`take-${c}`)).click();
      await waitText(page, tid('result-text'), /^✖ error: semop had failed: EIDRM/, 'C takes its EIDRM, reported as an error');
    });

    await group('step back, table growth and layout at 1366×768 (no horizontal scroll); screenshot', async () => {
      const events = await page.locator('[data-testid^="event-"]').count();
      await page.locator(tid('step-back')).click();
      await waitText(page, tid('result-text'), /restored the state/, 'step back');
      const after = await page.locator('[data-testid^="event-"]').count();
      assert(after === events - 1, `step back should drop the last event: ${events} -> ${after}`);
      // A richer state for the screenshot: five keys (the 4-slot table grows),
      // two messages queued, and B parked on a type that is not there.
      await page.locator(tid(`actor-${a}`)).check();
      await page.locator(tid('msgget-mode')).fill('0666');
      // Each step that doubles the table says so and marks the new rows;
      // each that rebalances the tree names its rotations and marks the pivot.
      let grewAt = null;
      const rotated = [];
      for (const key of ['20', '30', '40', '50', '60']) {
        await page.locator(tid('msgget-key')).fill(key);
        await page.locator(tid('msgget')).click();
        await waitText(page, tid('result-call'), new RegExp(`msgget\\(0x000000${key},`), `msgget ${key}`);
        if ((await page.locator(tid('slots-grew')).count()) > 0) {
          const words = await page.locator(tid('slots-grew')).textContent();
          assert(/doubled the table from 4 to 8 slots \(ipc_grow\): slots 4–7 are new/.test(words), `growth: ${words}`);
          assert((await page.locator(`${tid('slots')} tr.grown`).count()) >= 3, 'the new rows are marked');
          grewAt = key;
        }
        if ((await page.locator(tid('avl-rotations')).count()) > 0) {
          const words = await page.locator(tid('avl-rotations')).textContent();
          const m = words.match(/a (left|right|left-right|right-left) rotation at (0x[0-9a-f]+)/);
          assert(m, `rotation words: ${words}`);
          const pivot = page.locator(`[data-testid="avl-node-${parseInt(m[2], 16)}"]`);
          assert((await pivot.getAttribute('class')).includes('pivot'), `the pivot ${m[2]} is marked`);
          assert(/↻ \S+ rotation here/.test(await pivot.textContent()), 'the pivot says so in words');
          // The rotation is drawn as before/after: the tree one step back
          // (the real kernel's, one key fewer) with the same pivot marked,
          // and, after it, the nodes the rotation moved marked in words.
          const before = page.locator(tid('avl-before'));
          await before.waitFor({ timeout: 5000 });
          const beforeNodes = await before.locator('svg g.node').count();
          const afterNodes = await page.locator(`${tid('avl')} > .tree-box svg g.node`).count();
          assert(beforeNodes === afterNodes - 1, `before ${beforeNodes} nodes, after ${afterNodes}: one key inserted`);
          assert(
            (await before.locator(`[data-testid="avl-before-node-${parseInt(m[2], 16)}"]`).getAttribute('class')).includes('pivot'),
            'the pivot is marked in the tree before the step',
          );
          assert((await before.locator(`[data-testid="avl-before-node-${parseInt(key, 16)}"]`).count()) === 0, `key ${key} is not in the tree before`);
          const moved = page.locator(`${tid('avl')} > .tree-box svg g.node.moved`);
          assert((await moved.count()) >= 1, 'the nodes the rotation moved are marked');
          assert(/⇅ moved/.test(await moved.first().textContent()), 'a moved node says so in words');
          if (rotated.length === 0) await readmePanel(page, 'avl', 'rotation');
          rotated.push(`${key}:${m[1]}@${m[2]}`);
        } else {
          assert((await page.locator(tid('avl-before')).count()) === 0, `msgget ${key} did not rotate: no before drawing`);
        }
      }
      assert(grewAt !== null, 'one of the five msggets doubled the table');
      assert(rotated.length >= 1 && rotated.every((r) => /:left@/.test(r)), `ascending keys rotate left: ${rotated}`);
      assert((await page.locator(tid('slots-grew')).count()) === 0 || grewAt === '60', 'the growth note is the shown step\'s only');
      await waitText(page, tid('slots'), /^Slot table · msg8 slots/, 'the slot table grew to 8 slots');
      // The tree keeps readable text (it scrolls, or zooms out on request).
      const keyPx = await page.locator('svg.tree text.k').first().evaluate((t) => t.getBoundingClientRect().height);
      assert(keyPx >= 11, `AVL key text is ${keyPx}px high`);
      await page.locator(tid('avl-fit')).click();
      assert((await page.locator(tid('avl-fit')).getAttribute('aria-pressed')) === 'true', 'fit is on');
      await page.locator(tid('avl-fit')).click();
      for (const [mtype, text] of [['1', 'ping'], ['2', 'a longer message of type 2']]) {
        await page.locator(tid('msgsnd-mtype')).fill(mtype);
        await page.locator(tid('msgsnd-text')).fill(text);
        await page.locator(tid('msgsnd')).click();
        await waitText(page, tid('result-call'), new RegExp(`"${text}"`), `msgsnd ${text}`);
      }
      await waitText(page, tid('msg-new'), /a longer message of type 2.*◀ queued now/, 'the message the last send queued is marked');
      await page.locator(tid(`actor-${b}`)).check();
      await page.locator(tid('msgrcv-msgtyp')).fill('3');
      await page.locator(tid('msgrcv')).click();
      await waitText(page, tid(`thread-state-${b}`), /blocked/, 'B parked on type 3');
      await waitText(page, tid('queues'), /2\/8 messages/, 'two messages queued');
      // And a semaphore set: C's array {0, -1, SEM_UNDO} {1, -2, 0} parks on semaphore 1.
      await page.locator(tid(`actor-${a}`)).check();
      await page.locator(tid('semget-key')).fill('30');
      await page.locator(tid('semget-nsems')).fill('3');
      await page.locator(tid('semget')).click();
      await waitText(page, tid('result-text'), /ok: semid/, 'semget of a 3-semaphore set');
      await page.locator(tid('semctl-semnum')).fill('0');
      await page.locator(tid('semctl-val')).fill('2');
      await page.locator(tid('semctl-setval')).click();
      await waitText(page, tid('result-text'), /SETVAL done/, 'SETVAL');
      // Step back undid C's take-result: C still holds its EIDRM.
      await page.locator(tid(`take-${c}`)).click();
      await waitText(page, tid(`thread-state-${c}`), /runnable/, 'C runnable again');
      await page.locator(tid(`actor-${c}`)).check();
      await page.locator(tid('semop-sops')).fill('0 -1 undo; 1 -2');
      await page.locator(tid('semop')).click();
      await waitText(page, tid(`thread-state-${c}`), /blocked: semop: semaphore 1 .* needs semval ≥ 2/, 'C parks on semaphore 1');

      const { scrollWidth, clientWidth } = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
      }));
      assert(scrollWidth <= 1366, `horizontal scroll: scrollWidth ${scrollWidth} > 1366 (client ${clientWidth})`);
      // Every visible control is a target of at least 24 px (WCAG 2.5.8).
      const small = await page.evaluate(() =>
        [...document.querySelectorAll('button, select, input:not([type=checkbox]):not([type=radio]):not([type=range])')]
          .filter((e) => e.offsetParent !== null)
          .map((e) => [e.dataset.testid || e.id || e.textContent.trim().slice(0, 20), e.getBoundingClientRect().height])
          .filter(([, h]) => h < 24),
      );
      assert(small.length === 0, `controls below 24 px: ${JSON.stringify(small.slice(0, 8))}`);
      mkdirSync(SHOTS, { recursive: true });
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: SHOT });
      if (process.env.IPC_FULL_SHOT) await page.screenshot({ path: process.env.IPC_FULL_SHOT, fullPage: true });
      // The README's picture is refreshed only on request, so a test run
      // leaves the tracked tree untouched.
      if (process.env.IPC_UPDATE_README_SHOT) copyFileSync(SHOT, README_SHOT);
      assert(pageErrors.length === 0, `page errors:\n${pageErrors.join('\n')}`);
    });

    await group('POSIX semaphores: producer/consumer across fork; unlink while open', async () => {
      const pidOf = (t) =>
        page
          .locator(tid(`thread-${t}`))
          .evaluate((el) => Number(el.closest('[data-testid^="proc-"]').dataset.testid.replace('proc-', '')));
      const threadIds = () =>
        page
          .locator('[data-testid^="thread-state-"]')
          .evaluateAll((els) => els.map((e) => Number(e.dataset.testid.replace('thread-state-', ''))));
      /** The POSIX panel at the top of the window, checked for horizontal scroll, saved as `file`. */
      const shot = async (file) => {
        const { scrollWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth }));
        assert(scrollWidth <= 1366, `horizontal scroll: scrollWidth ${scrollWidth} > 1366`);
        mkdirSync(SHOTS, { recursive: true });
        await page.locator(tid('psem')).evaluate((el) => el.scrollIntoView({ block: 'start' }));
        await page.screenshot({ path: `${SHOTS}${file}` });
      };
      const pidA = await pidOf(a);
      await waitText(page, tid('psem'), /No POSIX semaphores yet/, 'no POSIX semaphore at first');

      // A: sem_open("/items", O_CREAT, 0600, 0).
      await page.locator(tid(`actor-${a}`)).check();
      await page.locator(tid('psem-name')).fill('/items');
      if (!(await page.locator(tid('psem-creat')).isChecked())) await page.locator(tid('psem-creat')).check();
      if (await page.locator(tid('psem-excl')).isChecked()) await page.locator(tid('psem-excl')).uncheck();
      await page.locator(tid('psem-mode')).fill('0600');
      await page.locator(tid('psem-open-value')).fill('0');
      await page.locator(tid('psem-open')).click();
      await waitText(page, tid('result-text'), /ok: sem \d+ — created/, 'sem_open by A');
      await waitText(page, tid('result-call'), new RegExp(`^sem_open\\("/items", O_CREAT, 0600, 0\\) by pid ${pidA} `), 'sem_open in words');
      const id = Number(await page.locator(tid('psem-id')).inputValue());
      assert(Number.isInteger(id) && id > 0, 'the psem id field was not set to the new id');
      await waitText(page, tid(`psem-state-${id}`), /^named$/, 'the new semaphore is named');
      await waitText(page, tid(`psem-value-${id}`), /^0$/, 'its value is 0');
      await waitText(page, tid(`psem-refs-${id}`), /^ks_ref 1$/, 'one reference');
      await waitText(page, tid(`psem-holders-${id}`), new RegExp(`^held by pid ${pidA} ×1$`), 'held by A');
      await waitText(page, tid('psem-names'), new RegExp(`"/items" → sem ${id}`), 'the name list holds /items');
      await waitText(page, tid(`psem-proc-${pidA}`), new RegExp(`pid ${pidA}:sem ${id}`), "A's reference list");

      // A forks: the child gets its own reference.
      const before = await threadIds();
      await page.locator(tid(`fork-${pidA}`)).click();
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid^="thread-state-"]').length > n, before.length);
      const child = (await threadIds()).find((t) => !before.includes(t));
      const pidChild = await pidOf(child);
      await waitText(page, tid(`new-proc-${pidChild}`), /◀ new: made by this step/, 'the forked child is marked as new');
      await waitText(page, tid(`psem-holders-${id}`), new RegExp(`^held by pid ${pidA} ×1, pid ${pidChild} ×1$`), 'fork copies the reference');
      await waitText(page, tid(`psem-refs-${id}`), /^ks_ref 2$/, 'two references');
      await waitText(page, tid(`psem-proc-${pidChild}`), new RegExp(`sem ${id}`), "the child's reference list");

      // The child (consumer) waits on 0 and parks, with the reason shown.
      await page.locator(tid(`actor-${child}`)).check();
      await page.locator(tid('psem-wait')).click();
      await waitText(page, tid('result-text'), new RegExp(`parked: sem_wait: semaphore ${id} is 0; waits for a sem_post`), 'sem_wait by the child');
      await waitText(page, tid(`thread-state-${child}`), /blocked: sem_wait/, "the child's thread parks");
      await waitText(page, tid(`psem-waiter-${child}`), new RegExp(`tid ${child} \\(pid ${pidChild}\\): sem_wait: semaphore ${id} is 0`), 'the waiter and its reason');
      await waitText(page, tid(`psem-refs-${id}`), /^ks_ref 3 \(2 held \+ 1 waiting\)$/, 'the waiter holds a reference');
      await shot('psem-wait.png');

      // A (producer) posts: the oldest waiter takes the value at once.
      await page.locator(tid(`actor-${a}`)).check();
      await page.locator(tid('psem-post')).click();
      await waitText(page, tid('result-text'), new RegExp(`ok: posted and handed at once to the oldest waiter, tid ${child}\\b`), 'sem_post by A');
      await waitText(page, tid(`psem-value-${id}`), /^0$/, 'the waiter took the value');
      await waitText(page, tid('events'), new RegExp(`woke tid ${child}\\b.*sem_wait`), 'event log shows the wakeup');
      await waitText(page, tid(`thread-state-${child}`), /finished sem_wait: ✔/, "the child's wait completed");
      assert((await page.locator(tid(`psem-waiter-${child}`)).count()) === 0, 'the waiter is still listed');
      await page.locator(tid(`take-${child}`)).click();
      await waitText(page, tid('result-text'), /sem_wait completed: done/, 'the child takes its result');

      // sem_timedwait: the child parks until a deadline; the clock passes it.
      await page.locator(tid(`actor-${child}`)).check();
      await page.locator(tid('psem-deadline')).fill('+500');
      await page.locator(tid('psem-timedwait')).click();
      await waitText(page, tid(`thread-state-${child}`), /blocked: sem_timedwait/, 'sem_timedwait parks');
      await waitText(page, tid(`psem-waiter-${child}`), /times out at/, 'the waiter shows its deadline');
      await page.locator(tid('advance-ms')).fill('1000');
      await page.locator(tid('advance')).click();
      await waitText(page, tid(`thread-state-${child}`), /finished sem_timedwait: ✖ ETIMEDOUT/, 'the deadline passed');
      await page.locator(tid(`take-${child}`)).click();
      await waitText(page, tid('result-text'), /sem_timedwait had failed: ETIMEDOUT — timed out: sem_timedwait's deadline passed/, 'ETIMEDOUT in words');

      // A unlinks the name while A and the child still hold the semaphore.
      await page.locator(tid(`actor-${a}`)).check();
      await page.locator(tid('psem-unlink')).click();
      await waitText(page, tid('result-text'), /ok: the name is gone/, 'sem_unlink by A');
      await waitText(page, tid('result'), new RegExp(`semaphore ${id} unlinked; it lives on with 2 reference`), 'unlink explained');
      await waitText(page, tid(`psem-state-${id}`), /unlinked — still open by 2 references/, 'unlinked but still open');
      await waitText(page, tid('psem-names'), /none/, 'the name list is empty');
      const cls = await page.locator(tid(`psem-sem-${id}`)).getAttribute('class');
      assert(/\bunlinked\b/.test(cls), `the unlinked semaphore is not drawn as such: class "${cls}"`);

      // sem_close of an unlinked semaphore is EINVAL (the seed tests its name).
      await page.locator(tid('psem-close')).click();
      const einval = await waitText(page, tid('result-text'), /EINVAL/, 'sem_close by A');
      assert(/invalid argument/.test(einval), `EINVAL is not described: ${einval}`);
      await waitText(page, tid('result'), new RegExp(`semaphore ${id} was unlinked \\(it has no name now\\); sem_close takes named semaphores only`), 'EINVAL explained');
      await waitText(page, tid(`psem-refs-${id}`), /^ks_ref 2$/, 'sem_close dropped nothing');
      await shot('psem.png');
      await readmePanel(page, 'psem', 'psem');

      // sem_destroy drops A's reference; the child's keeps it alive.
      await page.locator(tid('psem-destroy')).click();
      await waitText(page, tid('result-text'), /ok: one reference dropped/, 'sem_destroy by A');
      await waitText(page, tid(`psem-state-${id}`), /unlinked — still open by 1 reference$/, 'one reference left');
      await waitText(page, tid(`psem-holders-${id}`), new RegExp(`^held by pid ${pidChild} ×1$`), 'only the child holds it');
      assert((await page.locator(tid(`psem-proc-${pidA}`)).count()) === 0, "A's reference list should be gone");


      // The child exits: the last reference goes and the semaphore with it.
      await page.locator(tid(`exit-${pidChild}`)).click();
      await waitText(page, tid('psem'), /No POSIX semaphores yet/, 'the semaphore is freed');
      await waitText(page, tid('events'), new RegExp(`psem-free.*semaphore ${id} freed`), 'the event log shows it freed');
      await page.locator(tid('psem-post')).click();
      await waitText(page, tid('result-text'), /EINVAL/, 'sem_post on the freed id');
      assert(pageErrors.length === 0, `page errors:\n${pageErrors.join('\n')}`);
    });

    await group('shared memory: two processes share bytes; RMID while attached; the last detach destroys it', async () => {
      const pidOf = (t) =>
        page
          .locator(tid(`thread-${t}`))
          .evaluate((el) => Number(el.closest('[data-testid^="proc-"]').dataset.testid.replace('proc-', '')));
      const setCheck = async (id, on) => {
        if ((await page.locator(tid(id)).isChecked()) !== on) await page.locator(tid(id)).setChecked(on);
      };
      /**
       * The segment `testid` in the middle of the window (forms above it, address spaces below),
       * checked for horizontal scroll — of the page and of the hex view — saved as `file`.
       */
      const shot = async (testid, file) => {
        const { scrollWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth }));
        assert(scrollWidth <= 1366, `horizontal scroll: scrollWidth ${scrollWidth} > 1366`);
        const hexes = await page.locator('.hex-view').evaluateAll((els) => els.map((e) => e.scrollWidth - e.clientWidth));
        assert(hexes.every((d) => d <= 0), `a hex view scrolls sideways at 1366×768: ${hexes}`);
        mkdirSync(SHOTS, { recursive: true });
        await page.locator(tid(testid)).evaluate((el) => el.scrollIntoView({ block: 'center' }));
        await page.screenshot({ path: `${SHOTS}${file}` });
      };
      const pidA = await pidOf(a);
      const pidB = await pidOf(b);
      // B may still be parked in msgrcv (the screenshot group leaves it so): free it.
      if (/blocked/.test(await page.locator(tid(`thread-state-${b}`)).textContent())) {
        await page.locator(tid(`interrupt-${b}`)).click();
        await waitText(page, tid(`thread-state-${b}`), /finished/, 'B interrupted');
      }
      if (/finished/.test(await page.locator(tid(`thread-state-${b}`)).textContent())) {
        await page.locator(tid(`take-${b}`)).click();
        await waitText(page, tid(`thread-state-${b}`), /runnable/, 'B runnable');
      }
      await waitText(page, tid('shm'), /No segments yet/, 'no segment at first');

      // A: shmget(IPC_PRIVATE, 100, IPC_CREAT|0666).
      await page.locator(tid(`actor-${a}`)).check();
      await page.locator(tid('shmget-key')).fill('0');
      await page.locator(tid('shmget-size')).fill('100');
      await setCheck('shmget-creat', true);
      await setCheck('shmget-excl', false);
      await setCheck('shmget-rmlinger', false);
      await page.locator(tid('shmget-mode')).fill('0666');
      await page.locator(tid('shmget')).click();
      await waitText(page, tid('result-call'), new RegExp(`^shmget\\(IPC_PRIVATE, size 100, IPC_CREAT\\|0666\\) by pid ${pidA} `), 'shmget in words');
      await waitText(page, tid('result-text'), /ok: shmid 0x[0-9a-f]+ \(\d+\) — a new segment of 100 byte\(s\), 1 page\(s\) committed/, 'shmget by A');
      const shmid = Number(await page.locator(tid('shm-shmid')).inputValue());
      assert(Number.isInteger(shmid), 'the shmid field was not set to the new id');
      await waitText(page, tid(`shm-seg-${shmid}`), /key IPC_PRIVATE/, 'the segment has no key');
      await waitText(page, tid(`shm-size-${shmid}`), /size 100 bytes asked → 1 page \(4096 bytes\)/, 'size as asked and in pages');
      await waitText(page, tid(`shm-nattch-${shmid}`), /^nattch 0$/, 'nobody attached yet');
      await waitText(page, tid(`shm-state-${shmid}`), /^not attached$/, 'the state in words');
      await waitText(page, tid('shm-limits'), /1\/128 segments \(shmmni\); 1\/2048 pages committed \(shmall\)/, 'nused and committed against the limits');
      await waitText(page, tid('slots'), /Slot table · shm[\s\S]*◀ touched/, 'the shm namespace is shown, its new slot marked');

      // A: shmat(shmid, 0, 0): the kernel picks 0x10000000 in A's address space.
      await page.locator(tid('shmat-addr')).fill('');
      await setCheck('shmat-rdonly', false);
      await setCheck('shmat-rnd', false);
      await page.locator(tid('shmat')).click();
      await waitText(page, tid('result-call'), new RegExp(`^shmat\\(0x[0-9a-f]+ \\(${shmid}\\), addr 0 → kernel's choice, 0\\) by pid ${pidA} `), 'shmat in words');
      await waitText(page, tid('result-text'), /ok: attached at 0x10000000 \(the kernel's choice\)/, 'shmat by A');
      for (const f of ['shmdt-addr', 'shm-write-addr', 'shm-read-addr']) {
        assert((await page.locator(tid(f)).inputValue()) === '0x10000000', `${f} was not filled with the address shmat returned`);
      }
      await waitText(page, tid(`shm-map-${pidA}`), new RegExp(`0x10000000–0x10000fff shmid 0x[0-9a-f]+ \\(${shmid}\\) · 4096 bytes · read/write`), "A's address space");
      await waitText(page, tid(`shm-nattch-${shmid}`), /^nattch 1$/, 'one attachment');

      // B (uid 200) attaches the same segment: its own address space, the same choice.
      await page.locator(tid(`actor-${b}`)).check();
      await page.locator(tid('shmat')).click();
      await waitText(page, tid('result-call'), new RegExp(`by pid ${pidB} tid ${b} \\(uid 200\\)$`), 'shmat by B in words');
      await waitText(page, tid('result-text'), /ok: attached at 0x10000000/, 'shmat by B');
      await waitText(page, tid(`shm-map-${pidB}`), new RegExp(`0x10000000–0x10000fff shmid 0x[0-9a-f]+ \\(${shmid}\\)`), "B's address space");
      await waitText(page, tid(`shm-nattch-${shmid}`), /^nattch 2$/, 'two attachments');
      await waitText(page, tid(`shm-attached-${shmid}`), new RegExp(`pid ${pidA} at 0x10000000, pid ${pidB} at 0x10000000`), 'who has it attached');

      // A writes "hello" at its address; the hex view highlights the five bytes.
      await page.locator(tid(`actor-${a}`)).check();
      await page.locator(tid('shm-write-addr')).fill('0x10000000');
      await page.locator(tid('shm-write-text')).fill('hello');
      await page.locator(tid('shm-write')).click();
      await waitText(page, tid('result-call'), /^write "hello" \(5 bytes\) at 0x10000000 by pid/, 'the write in words');
      await waitText(page, tid('result-text'), /ok: stored 5 byte\(s\)/, 'write by A');
      await waitText(page, tid('result'), new RegExp(`5 byte\\(s\\) stored into shmid 0x[0-9a-f]+ at offset 0`), 'the store step');
      await waitText(page, tid(`shm-hex-${shmid}`), /^000068 65 6c 6c 6f 00 /, 'the hex view holds the bytes');
      const hex = await page.locator(`${tid(`shm-hex-${shmid}`)} .hex .hit`).allTextContents();
      assert(hex.join(' ') === '68 65 6c 6c 6f', `highlighted hex bytes: ${JSON.stringify(hex)}`);
      const ascii = await page.locator(`${tid(`shm-hex-${shmid}`)} .ascii .hit`).allTextContents();
      assert(ascii.join('') === 'hello', `highlighted text: ${JSON.stringify(ascii)}`);
      await shot(`shm-seg-${shmid}`, 'shm-write.png');

      // B reads 5 bytes at its own address: what A wrote.
      await page.locator(tid(`actor-${b}`)).check();
      await page.locator(tid('shm-read-addr')).fill('0x10000000');
      await page.locator(tid('shm-read-len')).fill('5');
      await page.locator(tid('shm-read')).click();
      await waitText(page, tid('result-text'), /ok: read 5 byte\(s\): "hello"$/, 'read by B');
      await waitText(page, tid('result'), /hex: 68 65 6c 6c 6f(?! [0-9a-f]{2})/, 'the bytes in hex');

      // A removes it while both are attached: destruction is deferred.
      await page.locator(tid(`actor-${a}`)).check();
      await page.locator(tid('shm-shmid')).fill(String(shmid));
      await page.locator(tid('shmctl-rmid')).click();
      await waitText(page, tid('result-text'), /ok: removed: its key is now IPC_PRIVATE/, 'IPC_RMID by A');
      await waitText(page, tid('result'), /is removed but still attached 2 time\(s\): freed at the last detach/, 'the deferred step');
      await waitText(page, tid(`shm-state-${shmid}`), /removed — key IPC_PRIVATE, still attached by 2; freed at the last detach/, 'removed but attached');
      await waitText(page, tid(`shm-nattch-${shmid}`), /^nattch 2$/, 'still two attachments');
      await waitText(page, tid(`shm-seg-${shmid}`), /key IPC_PRIVATE/, 'its key is IPC_PRIVATE');
      const cls = await page.locator(tid(`shm-seg-${shmid}`)).getAttribute('class');
      assert(/\bremoved\b/.test(cls), `the removed segment is not drawn as such: class "${cls}"`);
      await waitText(page, tid(`shm-hex-${shmid}`), /^000068 65 6c 6c 6f/, 'its bytes are still there');
      await shot(`shm-seg-${shmid}`, 'shm.png');
      await readmePanel(page, 'shm', 'shm');

      // A detaches: one attachment left, the segment stays.
      await page.locator(tid('shmdt-addr')).fill('0x10000000');
      await page.locator(tid('shmdt')).click();
      await waitText(page, tid('result-call'), new RegExp(`^shmdt\\(0x10000000\\) by pid ${pidA} `), 'shmdt in words');
      await waitText(page, tid('result-text'), /ok: detached$/, 'shmdt by A');
      await waitText(page, tid(`shm-nattch-${shmid}`), /^nattch 1$/, 'one attachment left');
      await waitText(page, tid(`shm-state-${shmid}`), /still attached by 1; freed at the last detach/, 'still there');
      await waitText(page, tid(`shm-map-${pidA}`), /nothing attached/, "A's address space is empty");

      // B detaches: the last detach frees the segment.
      await page.locator(tid(`actor-${b}`)).check();
      await page.locator(tid('shmdt-addr')).fill('0x10000000');
      await page.locator(tid('shmdt')).click();
      await waitText(page, tid('result-text'), /ok: detached — that was the last attachment of a removed segment: it is freed/, 'shmdt by B');
      await waitText(page, tid('shm'), /No segments yet/, 'the segment is gone');
      assert((await page.locator(tid(`shm-seg-${shmid}`)).count()) === 0, 'the freed segment is still drawn');
      await waitText(page, tid('events'), /shm-free\s*shm: shmid 0x[0-9a-f]+ freed, 1 page\(s\) uncommitted/, 'the event log shows it freed');
      await waitText(page, tid('shm-limits'), /0\/128 segments \(shmmni\); 0\/2048 pages committed/, 'nothing committed any more');

      // B reads where nothing is attached any more: EFAULT.
      await page.locator(tid('shm-read-addr')).fill('0x10000000');
      await page.locator(tid('shm-read')).click();
      const efault = await waitText(page, tid('result-text'), /EFAULT/, 'read after detach');
      assert(/nothing attached/.test(efault), `EFAULT is not described: ${efault}`);
      await waitText(page, tid('result'), new RegExp(`address 0x10000000 is not attached in pid ${pidB} \\(SIGSEGV, SEGV_MAPERR\\)`), 'EFAULT explained');
      assert(pageErrors.length === 0, `page errors:\n${pageErrors.join('\n')}`);
    });

    await group('event ports: a dispatcher with two worker threads in port_getn, events from a pipe and from port_send, an alert that wakes both', async () => {
      const pidOf = (t) =>
        page
          .locator(tid(`thread-${t}`))
          .evaluate((el) => Number(el.closest('[data-testid^="proc-"]').dataset.testid.replace('proc-', '')));
      const threadIds = () =>
        page
          .locator('[data-testid^="thread-state-"]')
          .evaluateAll((els) => els.map((e) => Number(e.dataset.testid.replace('thread-state-', ''))));
      const setCheck = async (id, on) => {
        if ((await page.locator(tid(id)).isChecked()) !== on) await page.locator(tid(id)).setChecked(on);
      };
      /** The port `testid` in the middle of the window, checked for horizontal scroll, saved as `file`. */
      const shot = async (testid, file) => {
        const { scrollWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth }));
        assert(scrollWidth <= 1366, `horizontal scroll: scrollWidth ${scrollWidth} > 1366`);
        mkdirSync(SHOTS, { recursive: true });
        await page.locator(tid(testid)).evaluate((el) => el.scrollIntoView({ block: 'center' }));
        await page.screenshot({ path: `${SHOTS}${file}` });
      };
      const getters = (port) => page.locator(`${tid(`port-getters-${port}`)} > li`).allTextContents();
      /** A thread of A calls port_getn(port, max 1, nget 1, no timeout) and parks. */
      const parkWorker = async (t, portFd) => {
        await page.locator(tid(`actor-${t}`)).check();
        await page.locator(tid('pget-max')).fill('1');
        await page.locator(tid('pget-nget')).fill('1');
        await page.locator(tid('pget-timeout')).fill('');
        await page.locator(tid('pgetn')).click();
        await waitText(page, tid('result-call'), new RegExp(`^port_getn\\(port fd ${portFd}, max 1, nget 1, no timeout: waits\\) by pid \\d+ tid ${t} `), `port_getn by tid ${t} in words`);
        await waitText(page, tid('result-text'), new RegExp(`parked: port_getn: port \\d+ \\(fd ${portFd}\\) has fewer than 1 event\\(s\\)`), `port_getn by tid ${t} parks`);
        await waitText(page, tid(`thread-state-${t}`), /blocked: port_getn/, `tid ${t} is blocked`);
      };
      /** Takes tid t's completed result and checks its words. */
      const take = async (t, re, what) => {
        await page.locator(tid(`take-${t}`)).click();
        await waitText(page, tid('result-text'), re, what);
        await waitText(page, tid(`thread-state-${t}`), /runnable/, `tid ${t} runnable again`);
      };
      const pidA = await pidOf(a);
      await page.locator(tid(`actor-${a}`)).check();
      await waitText(page, tid(`thread-state-${a}`), /runnable/, 'A is runnable');
      await waitText(page, tid('ports'), /No ports yet/, 'no port at first');

      // A: port_create() and pipe().
      await page.locator(tid('port-create')).click();
      const created = await waitText(page, tid('result-text'), /ok: port fd (\d+) — port (\d+)/, 'port_create by A');
      const [, portFd, port] = created.match(/port fd (\d+) — port (\d+)/);
      assert((await page.locator(tid('port-fd')).inputValue()) === portFd, 'the port fd field was not set');
      await waitText(page, tid(`port-${port}`), new RegExp(`^port ${port}fd ${portFd} of pid ${pidA}`), 'the port is drawn');
      await waitText(page, tid(`port-slots-${port}`), /^slots 0\/65536$/, 'no slot in use');
      await waitText(page, tid(`port-alert-${port}`), /^alert mode off$/, 'not in alert mode');
      await page.locator(tid('pipe')).click();
      const piped = await waitText(page, tid('result-text'), /ok: fds \[(\d+), (\d+)\] of pipe (\d+)/, 'pipe by A');
      const [, rfd, wfd, pipe] = piped.match(/fds \[(\d+), (\d+)\] of pipe (\d+)/);
      assert(Number(rfd) !== Number(portFd) && Number(wfd) === Number(rfd) + 1, `pipe fds ${rfd}, ${wfd} (port fd ${portFd})`);
      for (const [f, want] of [['fd-read-fd', rfd], ['fd-write-fd', wfd], ['passoc-fd', rfd]]) {
        assert((await page.locator(tid(f)).inputValue()) === want, `${f} was not filled with fd ${want}`);
      }
      await waitText(page, tid(`pipe-${pipe}`), new RegExp(`readers 1 \\(pid ${pidA} fd ${rfd}\\)writers 1 \\(pid ${pidA} fd ${wfd}\\)[\\s\\S]*0/4096 bytes: empty`), 'the empty pipe');
      await waitText(page, tid(`fdtable-${pidA}`), new RegExp(
        `fd ${portFd} → port ${port} \\(file \\d+\\)fd ${rfd} → pipe ${pipe} read end \\(file \\d+\\) · poll: 0fd ${wfd} → pipe ${pipe} write end \\(file \\d+\\) · poll: POLLOUT$`,
      ), "A's fd table");

      // Two worker threads of A park in port_getn(max 1, nget 1): equal ngets queue last in, first out.
      const before = await threadIds();
      await page.locator(tid(`thread-create-${pidA}`)).click();
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid^="thread-state-"]').length > n, before.length);
      const t1 = (await threadIds()).find((t) => !before.includes(t));
      await page.locator(tid(`thread-create-${pidA}`)).click();
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid^="thread-state-"]').length > n, before.length + 1);
      const t2 = (await threadIds()).find((t) => !before.includes(t) && t !== t1);
      assert((await pidOf(t1)) === pidA && (await pidOf(t2)) === pidA, 'the workers are threads of A');
      await parkWorker(t1, portFd);
      await parkWorker(t2, portFd);
      let queue = await getters(port);
      assert(queue.length === 2, `two getters expected: ${JSON.stringify(queue)}`);
      assert(new RegExp(`^head ▶tid ${t2} \\(pid ${pidA}\\) port_getn · nget 1 / max 1port ${port} \\(fd ${portFd}\\) has fewer than 1 event\\(s\\) · since `).test(queue[0]),
        `the newer worker (tid ${t2}) is the head: ${queue[0]}`);
      assert(new RegExp(`^tid ${t1} \\(pid ${pidA}\\) port_getn · nget 1 / max 1`).test(queue[1]), `the older worker is second: ${queue[1]}`);

      // A associates the pipe's read end for POLLIN (PORT_SOURCE_FD): empty pipe, so it stays armed.
      await page.locator(tid(`actor-${a}`)).check();
      await page.locator(tid('passoc-source')).fill('4');
      await setCheck('passoc-pollin', true);
      await setCheck('passoc-pollout', false);
      await page.locator(tid('passoc-user')).fill('0x7');
      await page.locator(tid('passoc')).click();
      await waitText(page, tid('result-call'), new RegExp(`^port_associate\\(port fd ${portFd}, PORT_SOURCE_FD, fd ${rfd}, POLLIN, user 0x7\\) by pid ${pidA} `), 'port_associate in words');
      await waitText(page, tid('result-text'), /ok: associated and armed/, 'port_associate by A');
      const assoc = tid(`port-assoc-${port}-${pidA}-${rfd}`);
      await waitText(page, assoc, new RegExp(`^fd ${rfd} · pid ${pidA} · pipe ${pipe} read endPOLLIN▶port ${port}wants POLLINarmed: fires once at the next readiness · user 0x7$`), 'the association arrow, armed');
      await waitText(page, tid(`port-slots-${port}`), /^slots 1\/65536$/, 'the association takes a slot');
      await shot(`port-${port}`, 'ports-parked.png');

      // A writes "job": the read end becomes readable, the association fires once, and only the head worker wakes.
      await page.locator(tid('fd-write-text')).fill('job');
      await setCheck('fd-write-nonblock', false);
      await page.locator(tid('fd-write')).click();
      await waitText(page, tid('result-call'), new RegExp(`^write\\(fd ${wfd}, "job" \\(3 bytes\\)\\) by pid ${pidA} `), 'write in words');
      await waitText(page, tid('result-text'), new RegExp(`ok: wrote 3 byte\\(s\\) — woke tid ${t2} \\(port_getn\\)$`), 'the write wakes the head worker only');
      await waitText(page, tid('result'), new RegExp(`fd ${rfd} is ready \\(0x1\\): its association on port ${port} fired and disarmed`), 'the fired step');
      await waitText(page, tid(`thread-state-${t2}`), /finished port_getn: ✔ 1 event\(s\)/, 'the head worker completed');
      await waitText(page, tid(`thread-state-${t1}`), /blocked: port_getn/, 'the other worker still waits');
      queue = await getters(port);
      assert(queue.length === 1 && new RegExp(`^head ▶tid ${t1} `).test(queue[0]), `the other worker is the head now: ${JSON.stringify(queue)}`);
      await waitText(page, assoc, /fired — re-associate to re-arm · user 0x7$/, 'the association fired and is disarmed');
      assert(/\bfired\b/.test(await page.locator(assoc).getAttribute('class')), 'the fired association is not drawn as such');
      await waitText(page, tid(`pipe-${pipe}`), /3\/4096 bytes: "job"/, 'the bytes stay in the pipe');
      await waitText(page, tid(`fdtable-${pidA}`), new RegExp(`fd ${rfd} → pipe ${pipe} read end \\(file \\d+\\) · poll: POLLIN\\|POLLRDNORM`), 'the read end polls readable');
      await waitText(page, tid(`port-queue-${port}`), /^empty$/, 'the worker took the event');
      await shot(`port-${port}`, 'ports-fired.png');
      await take(t2, new RegExp(`^✔ ok: port_getn completed: 1 event\\(s\\): FD · events 0x1 \\(POLLIN\\) · object fd ${rfd} · user 0x7$`), 'the FD event: object the read fd, POLLIN');

      // A sends a user event: the other worker takes it.
      await page.locator(tid(`actor-${a}`)).check();
      await page.locator(tid('psend-events')).fill('0x10');
      await page.locator(tid('psend-user')).fill('0x1');
      await page.locator(tid('psend')).click();
      await waitText(page, tid('result-call'), new RegExp(`^port_send\\(port fd ${portFd}, events 0x10, user 0x1\\) by pid ${pidA} `), 'port_send in words');
      await waitText(page, tid('result-text'), new RegExp(`ok: sent — woke tid ${t1} \\(port_getn\\)$`), 'port_send wakes the other worker');
      await waitText(page, tid(`port-getters-${port}`), /^nobody waits$/, 'no getter left');
      await take(t1, /^✔ ok: port_getn completed: 1 event\(s\): USER · events 0x10 · object 0 · user 0x1$/, 'the USER event');
      await waitText(page, tid(`port-slots-${port}`), /^slots 1\/65536$/, 'only the association holds a slot');

      // Both park again; A sets an alert: both complete with the ALERT event at once.
      await parkWorker(t1, portFd);
      await parkWorker(t2, portFd);
      assert((await getters(port)).length === 2, 'both workers wait again');
      await page.locator(tid(`actor-${a}`)).check();
      await setCheck('palert-set', true);
      await setCheck('palert-update', false);
      await page.locator(tid('palert-events')).fill('0x20');
      await page.locator(tid('palert-user')).fill('0x2');
      await page.locator(tid('palert')).click();
      await waitText(page, tid('result-call'), new RegExp(`^port_alert\\(port fd ${portFd}, PORT_ALERT_SET, events 0x20, user 0x2\\) by pid ${pidA} `), 'port_alert in words');
      const alerted = await waitText(page, tid('result-text'), /ok: alert mode is on: every getter gets the alert at once, nothing consumed — woke /, 'port_alert by A');
      assert(new RegExp(`tid ${t1} \\(port_getn\\)`).test(alerted) && new RegExp(`tid ${t2} \\(port_getn\\)`).test(alerted), `the alert woke both workers: ${alerted}`);
      await waitText(page, tid(`port-alert-${port}`), new RegExp(`^⚠ ALERT MODE — set by pid ${pidA}: events 0x20, user 0x2\\.`), 'alert mode is drawn, with who set it');
      assert(/\balerted\b/.test(await page.locator(tid(`port-${port}`)).getAttribute('class')), 'the port in alert mode is not drawn as such');
      await waitText(page, tid(`port-getters-${port}`), /^nobody waits$/, 'the alert emptied the getter queue');
      for (const t of [t1, t2]) await waitText(page, tid(`thread-state-${t}`), /finished port_getn: ✔ 1 event\(s\)/, `tid ${t} completed`);
      for (const t of [t1, t2]) await take(t, /^✔ ok: port_getn completed: 1 event\(s\): ALERT · events 0x20 · object 0 · user 0x2$/, `tid ${t} got the ALERT event`);

      // In alert mode a user event is queued but not handed out; port_getn returns the alert and consumes nothing.
      await page.locator(tid(`actor-${a}`)).check();
      await page.locator(tid('psend-user')).fill('0x3');
      await page.locator(tid('psend')).click();
      await waitText(page, tid('result-text'), /ok: a USER event is queued$/, 'port_send in alert mode');
      await waitText(page, tid(`port-queue-${port}`), /^USER events 0x10 · object 0 · user 0x3$/, 'the queue holds it');
      for (let i = 0; i < 2; i += 1) {
        await page.locator(tid('pgetn')).click();
        await waitText(page, tid('result-text'), /^✔ ok: 1 event\(s\): ALERT · events 0x20 · object 0 · user 0x2 — the port is in alert mode: nothing was consumed$/, `port_getn by A in alert mode (${i + 1})`);
        await waitText(page, tid(`port-queue-${port}`), /^USER events 0x10 · object 0 · user 0x3$/, 'the user event is still queued');
        await waitText(page, tid(`port-alert-${port}`), /ALERT MODE/, 'still in alert mode');
      }
      await waitText(page, tid(`port-slots-${port}`), /^slots 2\/65536$/, 'the user event and the association hold slots');
      await shot(`port-${port}`, 'ports-alert.png');
      await readmePanel(page, 'ports', 'ports');

      // Clearing the alert (events 0): the queued event is retrievable again.
      await page.locator(tid('palert-clear')).click();
      await waitText(page, tid('result-call'), new RegExp(`^port_alert\\(port fd ${portFd}, PORT_ALERT_SET, events 0x0, user 0x0\\)`), 'the clearing port_alert in words');
      await waitText(page, tid('result-text'), /ok: alert mode is off/, 'alert cleared');
      await waitText(page, tid(`port-alert-${port}`), /^alert mode off$/, 'alert mode off');
      await page.locator(tid('pget-timeout')).fill('0');
      await page.locator(tid('pgetn')).click();
      await waitText(page, tid('result-call'), /max 1, nget 1, timeout 0: poll\)/, 'a polling port_getn in words');
      await waitText(page, tid('result-text'), /^✔ ok: 1 event\(s\): USER · events 0x10 · object 0 · user 0x3$/, 'the user event after the alert');
      await waitText(page, tid(`port-queue-${port}`), /^empty$/, 'the queue is empty');

      // ETIME: port_getn(max 2, nget 2, 500 ms) with one event queued parks; the timeout delivers what is there.
      await page.locator(tid('psend-user')).fill('0x4');
      await page.locator(tid('psend')).click();
      await waitText(page, tid('result-text'), /ok: a USER event is queued$/, 'one more user event');
      await page.locator(tid('pget-max')).fill('2');
      await page.locator(tid('pget-nget')).fill('2');
      await page.locator(tid('pget-timeout')).fill('500');
      await page.locator(tid('pgetn')).click();
      await waitText(page, tid('result-text'), /parked: port_getn: port \d+ \(fd \d+\) has fewer than 2 event\(s\)/, 'port_getn for 2 parks');
      await waitText(page, tid(`port-getter-${a}`), /nget 2 \/ max 2port \d+ \(fd \d+\) has fewer than 2 event\(s\) · since .*, times out at/, 'the getter shows nget/max and its deadline');
      await waitText(page, `${tid(`port-getter-${a}`)} ${tid(`waiter-new-${a}`)}`, /◀ parked by this step/, 'the new getter is marked');
      await page.locator(tid('advance-ms')).fill('1000');
      await page.locator(tid('advance')).click();
      await waitText(page, tid(`thread-state-${a}`), /finished port_getn: ✔ ETIME with 1 event\(s\)/, 'the timeout passed');
      await take(a, /^✔ ok: port_getn completed: ETIME with 1 event\(s\) — the timeout passed first: USER · events 0x10 · object 0 · user 0x4$/, 'ETIME with the event gathered');

      // Re-associating re-arms: the pipe still holds "job", so it fires at once.
      await page.locator(tid(`actor-${a}`)).check();
      await page.locator(tid('passoc')).click();
      await waitText(page, tid('result-text'), /ok: associated; the fd is ready already, so it fired at once/, 're-associate');
      await waitText(page, tid(`port-queue-${port}`), new RegExp(`^FD events 0x1 \\(POLLIN\\) · object fd ${rfd} · user 0x7$`), 'the FD event is queued');
      await waitText(page, assoc, /fired — its event is queued; re-associate to re-arm/, 'fired, its event waiting');
      await page.locator(tid('fd-read')).click();
      await waitText(page, tid('result-text'), /^✔ ok: read 3 byte\(s\): "job"$/, 'read drains the pipe');
      await waitText(page, tid(`pipe-${pipe}`), /0\/4096 bytes: empty/, 'the pipe is empty');
      const { scrollWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth }));
      assert(scrollWidth <= 1366, `horizontal scroll: scrollWidth ${scrollWidth} > 1366`);
      assert(pageErrors.length === 0, `page errors:\n${pageErrors.join('\n')}`);
    });

    await group('accessibility: axe-core finds no violation with every panel filled (queues, semaphore sets, POSIX semaphores, shared memory, event ports, pipes, fd tables; parked threads)', async () => {
      const found = [];
      await axeAt(page, 'every panel filled by the groups above', found);
      assertNoViolations(found);
    });

    await group('timeline: jump back and forward, fork, share by URL', async () => {
      const position = async () => {
        const text = await page.locator(tid('tl-position')).textContent();
        const m = text.match(/step (\d+) of (\d+)/);
        assert(m, `timeline position: ${text}`);
        return [Number(m[1]), Number(m[2])];
      };
      const atStep = (n, total) => waitText(page, tid('tl-position'), new RegExp(`^step ${n} of ${total}\\b`), `step ${n} of ${total}`);
      const [start, total0] = await position();
      assert(start === total0, `the newest step is shown: ${start} of ${total0}`);
      const markers = await page.locator('[data-testid^="tl-step-"]').count();
      assert(markers === total0 + 1, `one marker per step and one for the start: ${markers} for ${total0} steps`);
      // The kinds come from the events: the EACCES refusal early on is an error, A's first msgrcv parked.
      const kinds = await page.locator('[data-testid^="tl-step-"]').evaluateAll((els) => els.map((e) => `${e.dataset.kind}:${e.textContent}`));
      for (const k of ['error:E', 'park:P', 'wake:W', 'removal:R', 'call:C']) assert(kinds.includes(k), `a ${k} marker: ${kinds.join(' ')}`);

      // Two steps: a new queue 0x77 and a message on it.
      await page.locator(tid(`actor-${a}`)).check();
      await page.locator(tid('msgget-key')).fill('77');
      await page.locator(tid('msgget-mode')).fill('0666');
      await page.locator(tid('msgget')).click();
      await waitText(page, tid('result-text'), /ok: msqid/, 'msgget 0x77');
      const id77 = await page.locator(tid('msqid')).inputValue();
      await page.locator(tid('msgsnd-mtype')).fill('1');
      await page.locator(tid('msgsnd-text')).fill('tl-one');
      await page.locator(tid('msgsnd')).click();
      await waitText(page, tid('result-text'), /ok: sent/, 'msgsnd tl-one');
      await atStep(start + 2, start + 2);
      // The step is named in words, as the result panel names the call (not the bridge's raw arguments).
      await waitText(page, tid('tl-position'), /msgsnd\(\d+, type 1, "tl-one" \(6 bytes\), 0\) by pid \d+ tid \d+ \(uid 100\)/, 'the step in words');
      await waitText(page, tid('queues'), /key 0x00000077[\s\S]*tl-one/, 'the queue holds tl-one');

      // Back one step: the queue is there, the message is not; back again: no queue yet.
      await page.locator(tid('tl-back')).click();
      await atStep(start + 1, start + 2);
      await waitText(page, tid('result-text'), new RegExp(`showing step ${start + 1} of ${start + 2}: after msgget`), 'the jump is reported');
      let queues = await page.locator(tid('queues')).textContent();
      assert(/key 0x00000077/.test(queues) && !/tl-one/.test(queues), `step ${start + 1}: the queue without its message: ${queues}`);
      await page.locator(tid('tl-back')).click();
      await atStep(start, start + 2);
      queues = await page.locator(tid('queues')).textContent();
      assert(!/key 0x00000077/.test(queues), `step ${start}: queue 0x77 not created yet: ${queues}`);
      const field = await page.locator(tid('msqid')).inputValue();
      assert(field !== id77, `the msqid field follows the step shown: it still names ${id77}, which step ${start} has not made`);
      await waitText(page, tid(`tl-step-${start + 2}`), /^C$/, 'the later steps stay on the timeline');
      // Last: the later state again; the slider: any step.
      await page.locator(tid('tl-last')).click();
      await atStep(start + 2, start + 2);
      await waitText(page, tid('queues'), /key 0x00000077[\s\S]*tl-one/, 'last: the message is back');
      await page.locator(tid('tl-slider')).evaluate((el, v) => {
        el.value = String(v);
        el.dispatchEvent(new Event('input', { bubbles: true }));
      }, (await page.locator(tid('tl-slider')).getAttribute('min')) * 1 + start + 1);
      await atStep(start + 1, start + 2);
      queues = await page.locator(tid('queues')).textContent();
      assert(/key 0x00000077/.test(queues) && !/tl-one/.test(queues), `slider to step ${start + 1}: ${queues}`);
      await page.locator(tid('tl-first')).click();
      await atStep(0, start + 2);
      await page.locator(tid(`tl-step-${start + 1}`)).click();
      await atStep(start + 1, start + 2);

      // A new action here forks: step start+2 (tl-one) is set aside as a branch.
      await page.locator(tid('msgsnd-text')).fill('tl-two');
      await page.locator(tid('msgsnd')).click();
      await waitText(page, tid('result'), new RegExp(`timeline forked at step ${start + 1}: the steps after it are kept as a branch`), 'the fork is reported');
      await atStep(start + 2, start + 2);
      queues = await page.locator(tid('queues')).textContent();
      assert(/tl-two/.test(queues) && !/tl-one/.test(queues), `the new branch: ${queues}`);
      await waitText(page, tid('tl-branch'), new RegExp(`the 1 step\\(s\\) that followed step ${start + 1} before the timeline forked`), 'the old branch is kept');
      await readmePanel(page, 'timeline', 'timeline');
      // Switch to the old branch: tl-one is back, and tl-two is the branch now; switch again to come back.
      await page.locator(tid('tl-branch-switch')).click();
      await waitText(page, tid('result-text'), /the steps set aside are back: showing step \d+ of \d+; the 1 step\(s\) it replaced are the branch now/, 'switched to the old branch');
      await atStep(start + 2, start + 2);
      queues = await page.locator(tid('queues')).textContent();
      assert(/tl-one/.test(queues) && !/tl-two/.test(queues), `the old branch is back: ${queues}`);
      await page.locator(tid('tl-back')).click();
      await atStep(start + 1, start + 2);
      await page.locator(tid('tl-branch-switch')).click();
      await atStep(start + 2, start + 2);
      queues = await page.locator(tid('queues')).textContent();
      assert(/tl-two/.test(queues) && !/tl-one/.test(queues), `switched back to the new branch: ${queues}`);
      // Discard it: it is gone.
      await page.locator(tid('tl-branch-discard')).click();
      await waitText(page, tid('result-text'), /the steps set aside are forgotten/, 'the branch is discarded');
      assert((await page.locator(tid('tl-branch')).count()) === 0, 'no branch after discarding it');

      // Copy link; the link reopens the same state in a new page.
      await page.locator(tid('tl-back')).click();
      await atStep(start + 1, start + 2);
      await page.locator(tid('copy-link')).click();
      await waitText(page, tid('result-text'), /the link to this session/, 'copy link');
      const link = await page.locator(tid('share-link')).inputValue();
      assert(/#session=[zj][A-Za-z0-9_-]+$/.test(link), `the link carries the session: ${link}`);
      assert((await page.evaluate(() => location.href)) === link, 'the address bar holds the link');
      const want = {
        queues: await page.locator(tid('queues')).textContent(),
        slots: await page.locator(tid('slots')).textContent(),
        processes: await page.locator('[data-testid^="proc-"]').count(),
      };
      mkdirSync(SHOTS, { recursive: true });
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: `${SHOTS}timeline.png` });
      const { scrollWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth }));
      assert(scrollWidth <= 1366, `horizontal scroll with the timeline: scrollWidth ${scrollWidth} > 1366`);

      const other = await browser.newPage({ viewport: { width: 1366, height: 768 } });
      other.on('pageerror', (e) => pageErrors.push(`pageerror (shared link): ${e.message}`));
      try {
        await other.goto(link, { waitUntil: 'load' });
        await other.waitForSelector('[data-testid="app"][data-ready="true"]');
        await waitText(other, tid('result-text'), new RegExp(`replayed the link's ${start + 2} step\\(s\\); showing step ${start + 1} of ${start + 2}`), 'the link replays');
        await waitText(other, tid('tl-position'), new RegExp(`^step ${start + 1} of ${start + 2}\\b`), 'the shared step is shown');
        const got = {
          queues: await other.locator(tid('queues')).textContent(),
          slots: await other.locator(tid('slots')).textContent(),
          processes: await other.locator('[data-testid^="proc-"]').count(),
        };
        for (const k of Object.keys(want)) assert(got[k] === want[k], `shared ${k} differ:\n  ${want[k]}\n  ${got[k]}`);
        // And its timeline moves: forward shows tl-two.
        await other.locator(tid('tl-forward')).click();
        await waitText(other, tid('queues'), /tl-two/, 'forward on the shared page');
      } finally {
        await other.close();
      }
      assert(pageErrors.length === 0, `page errors:\n${pageErrors.join('\n')}`);
    });

    await group('served gzip-compressed and revalidated (ETag, 304); opened as a file, the page says how to serve it', async () => {
      const wasm = new URL('pkg/ipc_playground_bg.wasm', BASE).href;
      const first = await page.request.get(wasm, { headers: { 'Accept-Encoding': 'gzip' } });
      const h = first.headers();
      assert(first.status() === 200 && h['content-encoding'] === 'gzip', `wasm: ${first.status()} ${JSON.stringify(h)}`);
      assert(h['cache-control'] === 'no-cache' && h.etag, `revalidated, not re-sent: ${JSON.stringify(h)}`);
      const again = await page.request.get(wasm, { headers: { 'If-None-Match': h.etag } });
      assert(again.status() === 304, `an unchanged file is not sent again: ${again.status()}`);
      const other = await browser.newPage();
      try {
        await other.goto(new URL('../../www/index.html', import.meta.url).href);
        await waitText(other, '#app[role="alert"]', /opened as a file.*cargo xtask serve/s, 'the file:// message');
      } finally {
        await other.close();
      }
    });

    await group('malformed links and session files: a clear message, never a broken page', async () => {
      const b64 = (text) => Buffer.from(text).toString('base64url');
      const session = (o) => `#session=j${b64(JSON.stringify({ format: 'ipclab-session', version: 1, base: 0, step: 1, ...o }))}`;
      const bad = [
        ['#session=z!!!', /The link's session could not be replayed: .+/],
        ['#session=zAAAA', /The link's session could not be replayed: .+/],
        [`#session=x${b64('{}')}`, /unknown encoding/],
        [`#session=j${b64('{"format":')}`, /could not be replayed: .*JSON/],
        [`#session=j${b64('{"hello":1}')}`, /this is not an ipclab session/],
        [session({ version: 99, log: [] }), /session version 99; this build reads versions 1 and 2/],
        [session({ log: [['rmRf', []]] }), /step 1 is not an operation this build knows \("rmRf"\)/],
        [session({ log: [['spawn', [{ evil: true }]]] }), /step 1 \(spawn\): argument 1 is not a value this operation takes/],
      ];
      const base = page.url().split('#')[0];
      const other = await browser.newPage({ viewport: { width: 1366, height: 768 } });
      other.on('pageerror', (e) => pageErrors.push(`pageerror (malformed link): ${e.message}`));
      try {
        await other.goto(base, { waitUntil: 'load' });
        await other.waitForSelector('[data-testid="app"][data-ready="true"]');
        const fresh = await other.locator('[data-testid^="proc-"]').count();
        for (const [hash, re] of bad) {
          await other.goto('about:blank');
          await other.goto(base + hash, { waitUntil: 'load' });
          await other.waitForSelector('[data-testid="app"][data-ready="true"]');
          await waitText(other, tid('result-text'), re, `the message for ${hash.slice(0, 40)}`);
          await waitText(other, tid('result'), /a fresh session was started instead/, 'what stands instead');
          const procs = await other.locator('[data-testid^="proc-"]').count();
          assert(procs === fresh, `a fresh session after ${hash.slice(0, 40)}: ${procs} process elements, not ${fresh}`);
        }
      } finally {
        await other.close();
      }

      // Import: a file that is not a session is refused and the session shown stays; an exported one replays.
      const position = await page.locator(tid('tl-position')).textContent();
      const queues = await page.locator(tid('queues')).textContent();
      await page.locator(tid('import-session')).setInputFiles({ name: 'garbage.json', mimeType: 'application/json', buffer: Buffer.from('not json at all') });
      await waitText(page, tid('result-text'), /The file's session could not be replayed: garbage\.json is not JSON/, 'a garbage file');
      await waitText(page, tid('result'), /the session shown before is kept/, 'kept');
      assert((await page.locator(tid('tl-position')).textContent()) === position, 'the timeline is unchanged after a refused import');
      assert((await page.locator(tid('queues')).textContent()) === queues, 'the queues are unchanged after a refused import');
      await page.locator(tid('import-session')).setInputFiles({ name: 'old.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ format: 'ipclab-session', version: 0, log: [] })) });
      await waitText(page, tid('result-text'), /session version 0; this build reads versions 1 and 2/, 'a file from another build');
      assert((await page.locator(tid('queues')).textContent()) === queues, 'the queues are unchanged after an old file');

      const [download] = await Promise.all([page.waitForEvent('download'), page.locator(tid('export-session')).click()]);
      mkdirSync(SHOTS, { recursive: true });
      const path = `${SHOTS}ipclab-session.json`;
      await download.saveAs(path);
      await page.locator(tid('tl-first')).click();
      await page.locator(tid('import-session')).setInputFiles(path);
      await waitText(page, tid('result-text'), /replayed the file's \d+ step\(s\); showing step \d+ of \d+/, 'the exported file replays');
      assert((await page.locator(tid('tl-position')).textContent()) === position, `the imported session shows the exported step: ${position}`);
      assert((await page.locator(tid('queues')).textContent()) === queues, 'the imported session has the same queues');
      // The same file is what the command-line tools read: `ipclab ipcs` prints the step it shows.
      const exported = JSON.parse(readFileSync(path, 'utf8'));
      assert(typeof exported.snapshot === 'string' && exported.log.length > 0, 'the session file carries its log and the snapshot of its step');
      const ipclab = fileURLToPath(new URL('../../target/release/ipclab', import.meta.url));
      if (existsSync(ipclab)) {
        const out = execFileSync(ipclab, ['ipcs', path], { encoding: 'utf8' });
        // Counted as the timeline counts: the start-up operations (base) come before its step 0.
        const [shown, total] = [exported.step - exported.base, exported.log.length - exported.base];
        assert(position.startsWith(`step ${shown} of ${total}`), `the page shows the same step: ${position}`);
        assert(new RegExp(`^Session of ${total} operation\\(s\\) at step ${shown}( \\(after ${exported.base} start-up operation\\(s\\)\\))?\nIPC status from ipclab kernel`).test(out), `ipcs of the session:\n${out}`);
        assert(/Message Queues:\nq /.test(out), `the session's queues are listed:\n${out}`);
      } else {
        console.log(`  (target/release/ipclab not built: the session's ipcs is not checked here)`);
      }
      assert(pageErrors.length === 0, `page errors:\n${pageErrors.join('\n')}`);
    });

    await group('save state: the snapshot downloads, and `ipclab ipcs` prints it from the command line', async () => {
      mkdirSync(SHOTS, { recursive: true });
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator(tid('save-state')).click()]);
      assert(download.suggestedFilename() === 'ipclab-snapshot.json', `file name: ${download.suggestedFilename()}`);
      const path = `${SHOTS}ipclab-snapshot.json`;
      await download.saveAs(path);
      const snap = JSON.parse(readFileSync(path, 'utf8'));
      assert(snap.fac && snap.procs && snap.fac.psem && snap.fac.shm, 'the file is a whole kernel snapshot');
      await waitText(page, tid('result-text'), /saved the kernel's whole state as ipclab-snapshot\.json/, 'save state');
      const ipclab = fileURLToPath(new URL('../../target/release/ipclab', import.meta.url));
      if (existsSync(ipclab)) {
        const out = execFileSync(ipclab, ['ipcs', path], { encoding: 'utf8' });
        assert(/^IPC status from ipclab kernel/.test(out), `ipcs output:\n${out}`);
        assert(/Message Queues:\nq /.test(out), `the learner's queue is listed:\n${out}`);
        assert(/Parked threads:\n  pid /.test(out), `the parked threads are listed:\n${out}`);
      } else {
        console.log(`  (target/release/ipclab not built: the snapshot's ipcs is not checked here)`);
      }
    });

    // Play, "until the next", the keyboard and the saved session.  These
    // run last, on the timeline the groups above built (it holds calls,
    // parks, wake-ups, errors and removals); the last group starts a new
    // session.

    /** The timeline's position on `p`: [shown, total]. */
    const tlPosition = async (p = page) => {
      const text = await p.locator(tid('tl-position')).textContent();
      const m = text.match(/step (\d+) of (\d+)/);
      assert(m, `timeline position: ${text}`);
      return [Number(m[1]), Number(m[2])];
    };
    const atStep = (p, n, total) => waitText(p, tid('tl-position'), new RegExp(`^step ${n} of ${total}\\b`), `step ${n} of ${total}`);
    const speed = async () => page.locator(`${tid('tl-speed')} option:checked`).textContent();
    const blur = () => page.evaluate(() => document.activeElement && document.activeElement.blur());
    const ready = async (p) => {
      await p.waitForSelector('[data-testid="app"][data-ready="true"]');
    };
    /** Shows the first (or the last) step, unless it is shown already (its button is then disabled). */
    const toEnd = async (which) => {
      const [shown, total] = await tlPosition();
      const n = which === 'first' ? 0 : total;
      if (shown !== n) await page.locator(tid(`tl-${which}`)).click();
      await atStep(page, n, total);
    };
    /** Waits until the saved session is this page's (the save follows an action shortly). */
    const savedSteps = (p, steps) =>
      p.waitForFunction((n) => {
        try {
          const s = JSON.parse(localStorage.getItem('ipclab-session'));
          return s && s.log.length - s.base === n;
        } catch {
          return false;
        }
      }, steps);

    await group('timeline play: steps through the log to the last step and stops there; pause; speed', async () => {
      const [, total] = await tlPosition();
      assert(total > 20, `a long timeline to play: ${total} steps`);
      assert((await speed()) === '1 step/s', `the default speed: ${await speed()}`);
      await page.locator(tid('tl-speed')).selectOption({ label: '8 steps/s' });
      await waitText(page, tid('result-text'), /Play steps at 8 steps\/s/, 'the speed change is reported');
      assert((await speed()) === '8 steps/s', `the speed chosen: ${await speed()}`);
      await page.locator(tid(`tl-step-${total - 5}`)).click();
      await atStep(page, total - 5, total);
      // Every step shown (and whether Play was pressed) is recorded as it is drawn.
      await page.evaluate(() => {
        window.tlSeen = [];
        const note = () => {
          const m = document.querySelector('[data-testid="tl-position"]').textContent.match(/step (\d+)/);
          const pressed = document.querySelector('[data-testid="tl-play"]').getAttribute('aria-pressed');
          const entry = `${m[1]}:${pressed}`;
          if (window.tlSeen[window.tlSeen.length - 1] !== entry) window.tlSeen.push(entry);
        };
        note();
        window.tlObserver = new MutationObserver(note);
        window.tlObserver.observe(document.querySelector('[data-testid="timeline"]'), { subtree: true, childList: true, characterData: true, attributes: true });
      });
      await page.locator(tid('tl-play')).click();
      await waitText(page, tid('result-text'), new RegExp(`^(✔ ok|‖ parked|✖ error): played to the last step — showing step ${total} of ${total}: after `), 'play reaches the last step');
      await waitText(page, tid('tl-play'), /^▶ Play$/, 'and stops: the button says Play again');
      const seen = await page.evaluate(() => {
        window.tlObserver.disconnect();
        return window.tlSeen;
      });
      const steps = [...new Set(seen.map((e) => Number(e.split(':')[0])))];
      const want = [total - 5, total - 4, total - 3, total - 2, total - 1, total];
      assert(JSON.stringify(steps) === JSON.stringify(want), `play shows each step in turn: ${seen.join(' ')}`);
      assert(seen.some((e) => e.endsWith(':true')), `the button was pressed (❚❚ Pause) while playing: ${seen.join(' ')}`);
      assert((await page.locator(tid('tl-play')).getAttribute('aria-pressed')) === 'false', 'not playing at the end');
      // Stopped: two steps' time later nothing has moved, and the log is no longer (the kernel never runs past it).
      await page.waitForTimeout(300);
      assert(JSON.stringify(await tlPosition()) === JSON.stringify([total, total]), `stays at the last step: ${await tlPosition()}`);

      // Pause: at 1 step/s from the start; the step shown then stays.
      await page.locator(tid('tl-speed')).selectOption({ label: '1 step/s' });
      await toEnd('first');
      await page.locator(tid('tl-play')).click();
      await waitText(page, tid('tl-play'), /^❚❚ Pause$/, 'playing: the button says Pause');
      await waitText(page, tid('result-text'), new RegExp(`playing from step 0 to step ${total} at 1 step/s`), 'play is reported');
      await atStep(page, 1, total);
      await page.locator(tid('tl-play')).click();
      const paused = await waitText(page, tid('result-text'), /^✔ ok: paused at step (\d+) of \d+$/, 'pause is reported');
      const at = Number(paused.match(/paused at step (\d+)/)[1]);
      assert(at === 1 || at === 2, `paused at step 1 (or 2): ${paused}`);
      await waitText(page, tid('tl-play'), /^▶ Play$/, 'paused: the button says Play');
      await page.waitForTimeout(1300);
      assert((await tlPosition())[0] === at, `paused: the step stays ${at}: ${await tlPosition()}`);

      // With reduced motion asked for, playing works the same (the strip only scrolls without animation).
      await page.emulateMedia({ reducedMotion: 'reduce' });
      try {
        await page.locator(tid('tl-speed')).selectOption({ label: '8 steps/s' });
        await page.locator(tid(`tl-step-${total - 2}`)).click();
        await page.locator(tid('tl-play')).click();
        await waitText(page, tid('result-text'), new RegExp(`played to the last step — showing step ${total} of ${total}`), 'play with reduced motion');
      } finally {
        await page.emulateMedia({ reducedMotion: null });
      }
      // At the last step, Play starts again from the first.
      await page.locator(tid('tl-speed')).selectOption({ label: '0.5 steps/s' });
      await page.locator(tid('tl-play')).click();
      await waitText(page, tid('result-text'), new RegExp(`playing from step 0 to step ${total} at 0.5 steps/s`), 'play from the last step restarts');
      await atStep(page, 0, total);
      await page.locator(tid('tl-play')).click();
      await waitText(page, tid('tl-play'), /^▶ Play$/, 'paused again');
      assert(pageErrors.length === 0, `page errors:\n${pageErrors.join('\n')}`);
    });

    await group('timeline: until the next wake-up / error / removal lands on the next step of that kind', async () => {
      const [, total] = await tlPosition();
      const kinds = await page.locator('[data-testid^="tl-step-"]').evaluateAll((els) => els.map((e) => e.dataset.kind || 'start'));
      assert(kinds.length === total + 1, `one marker per step: ${kinds.length}`);
      const words = { wake: 'wake-up', error: 'error', removal: 'removal' };
      for (const kind of ['wake', 'error', 'removal']) {
        await toEnd('first');
        let from = 0;
        for (let i = 0; i < 2; i += 1) {
          const want = kinds.findIndex((k, n) => n > from && k === kind);
          assert(want > 0, `the timeline has a ${i + 1}. ${kind} after step ${from}: ${kinds.join(' ')}`);
          await page.locator(tid(`tl-until-${kind}`)).click();
          await atStep(page, want, total);
          // The Result says the shown step's outcome, not the move's: an error step is an error.
          const verdict = kind === 'error' ? '✖ error' : '✔ ok';
          await waitText(page, tid('result-text'), new RegExp(`^${verdict}: the next ${words[kind]}: showing step ${want} of ${total}: after .*${kind === 'error' ? ' — it was refused: E[A-Z0-9]+$' : ''}`), `until the next ${kind}`);
          const marker = page.locator(tid(`tl-step-${want}`));
          assert((await marker.getAttribute('aria-current')) === 'step', `step ${want} is the one shown`);
          assert((await marker.getAttribute('data-kind')) === kind, `step ${want} is a ${kind}`);
          from = want;
        }
      }
      // After the last one of a kind: said so, and the step stays.
      await toEnd('last');
      await page.locator(tid('tl-until-error')).click();
      await waitText(page, tid('result-text'), new RegExp(`there is no error after step ${total} \\(the timeline has ${total} step\\(s\\)\\): the step shown stays`), 'no next error');
      await atStep(page, total, total);
      // A parked step, jumped to, reports that it parked — not "ok".
      const parked = kinds.indexOf('park');
      assert(parked > 0, `a parked step: ${kinds.join(' ')}`);
      await page.locator(tid(`tl-step-${parked}`)).click();
      await atStep(page, parked, total);
      await waitText(page, tid('result-text'), new RegExp(`^‖ parked: .*showing step ${parked} of ${total}: after .* — it parked: `), 'a parked step says so');
      // "What happened" counts as the timeline does; the kernel's event number is named as such.
      await waitText(page, tid('explain-title'), new RegExp(`^What happened — step ${parked} \\(the kernel's event #\\d+\\)$`), 'the step as the timeline counts it');
      await toEnd('first');
      await waitText(page, tid('explain-title'), /^What happened — the start \(the kernel's event #\d+: start-up, before the timeline's step 1\)$/, 'step 0 is the start');
      await toEnd('last');
    });

    await group('predict, then reveal: stepping forward asks first; the verdict, the score and the explanation follow', async () => {
      const [, total] = await tlPosition();
      const kinds = await page.locator('[data-testid^="tl-step-"]').evaluateAll((els) => els.map((e) => e.dataset.kind || 'start'));
      const parkAt = kinds.findIndex((k) => k === 'park');
      assert(parkAt > 1, `a parked step to predict: ${kinds.join(' ')}`);
      await page.locator(tid('predict-mode')).check();
      await waitText(page, tid('predict-score'), /0 of 0 right/, 'score at the start');
      await page.locator(tid(`tl-step-${parkAt - 1}`)).click();
      await atStep(page, parkAt - 1, total);
      // The steps ahead keep their kinds to themselves: the picture and the
      // accessible name would otherwise answer the question.
      const ahead = page.locator(tid(`tl-step-${parkAt}`));
      assert((await ahead.getAttribute('data-kind')) === 'hidden', 'a step ahead shows no kind in predict mode');
      const name = await ahead.getAttribute('aria-label');
      assert(!/park/.test(name) && /not revealed yet/.test(name), `its accessible name tells nothing: ${name}`);
      assert((await ahead.textContent()).trim() === '?', 'its marker is a question mark');
      // Forward asks instead of moving; the choices are the same for every step.
      await page.locator(tid('tl-forward')).click();
      await waitText(page, tid('predict-ask'), new RegExp(`Step ${parkAt}: .* what will it do\\?`), 'the question');
      await atStep(page, parkAt - 1, total);
      assert((await page.locator(`${tid('predict-ask')} button`).count()) === 14, 'ok, park and twelve errnos');
      // Every other errno the kernel returns is offered beside them (the same list at every step).
      const others = await page.locator(`${tid('predict-other')} option`).evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
      const buttons = await page.locator(`${tid('predict-ask')} .errnos button`).allTextContents();
      assert(others.length === 16 && others.includes('EFBIG') && others.includes('EDEADLK'), `the other errnos: ${others.join(' ')}`);
      assert(others.every((e) => !buttons.some((b) => b.endsWith(` ${e}`))), 'no errno offered twice');
      await page.locator(tid('predict-park')).click();
      await atStep(page, parkAt, total);
      await waitText(page, tid('predict-verdict'), /✔ Right: it parks/, 'a right prediction');
      assert((await page.locator(tid(`tl-step-${parkAt}`)).getAttribute('data-kind')) === 'park', 'revealed, the step shows its kind');
      await waitText(page, tid('predict-score'), /1 of 1 right/, 'score after one');
      await readmePanel(page, 'predict', 'predict');
      await waitText(page, tid('narration'), /The caller parks until/, 'the explanation of the revealed step');
      // A wrong one: the next step did not fail with EIDRM unless it is an error, then it did not succeed.
      const next = kinds[parkAt + 1];
      await page.keyboard.press('ArrowRight');
      await waitText(page, tid('predict-ask'), new RegExp(`Step ${parkAt + 1}:`), 'asked again (keyboard)');
      const wrong = next === 'error' ? 'ok' : 'eidrm';
      await page.locator(tid(`predict-${wrong}`)).click();
      await atStep(page, parkAt + 1, total);
      await waitText(page, tid('predict-verdict'), /✖ Not this time: you said it (succeeds|fails with EIDRM); it /, 'a wrong prediction');
      await waitText(page, tid('predict-score'), /1 of 2 right/, 'score after two');
      // Play stops to ask; turning the mode off steps freely again.
      await page.locator(tid('tl-play')).click();
      await waitText(page, tid('predict-ask'), new RegExp(`Step ${parkAt + 2}:`), 'play asks first');
      await page.locator(tid('predict-mode')).uncheck();
      assert((await page.locator(tid('predict-ask')).count()) === 0, 'the question goes with the mode');
      assert((await page.locator('[data-kind="hidden"]').count()) === 0, 'without the mode every step shows its kind');
      // A link can turn the mode on: `?predict`.
      const withPredict = await browser.newPage({ viewport: { width: 1366, height: 768 } });
      try {
        await withPredict.goto(`${page.url().split('#')[0].split('?')[0]}?predict`, { waitUntil: 'load' });
        await withPredict.waitForSelector('[data-testid="app"][data-ready="true"]');
        assert(await withPredict.locator(tid('predict-mode')).isChecked(), '?predict opens the page in predict mode');
      } finally {
        await withPredict.close();
      }
      await page.locator(tid('tl-forward')).click();
      await atStep(page, parkAt + 2, total);
      await toEnd('last');
    });

    await group('keyboard: → ← Home End Space − + ? move the timeline; typing in a field does not; Tab reaches every control', async () => {
      // A field's hint shows in the page while the field has the focus (not only as a hover tooltip), and describes it.
      await blur();
      await page.mouse.move(0, 0);
      assert(!(await page.locator(tid('msgsnd-timeout-hint')).isVisible()), 'the hint is hidden until the field is focused');
      await page.locator(tid('msgsnd-timeout')).focus();
      await waitText(page, tid('msgsnd-timeout-hint'), /give up with EAGAIN after this many logical milliseconds/, 'the focused field shows its hint');
      assert(await page.locator(tid('msgsnd-timeout-hint')).isVisible(), 'the hint is visible on focus');
      assert((await page.locator(tid('msgsnd-timeout')).getAttribute('aria-describedby')) === 'msgsnd-timeout-hint', 'the hint describes the field');
      const [, total] = await tlPosition();
      await blur();
      await page.keyboard.press('Home');
      await atStep(page, 0, total);
      await page.keyboard.press('ArrowRight');
      await atStep(page, 1, total);
      await page.keyboard.press('ArrowRight');
      await atStep(page, 2, total);
      await page.keyboard.press('ArrowLeft');
      await atStep(page, 1, total);
      await page.keyboard.press('End');
      await atStep(page, total, total);
      await page.keyboard.press('Home');
      await atStep(page, 0, total);

      // − and +: slower and faster, within 0.5 … 8 steps/s.
      await page.locator(tid('tl-speed')).selectOption({ label: '1 step/s' });
      await blur();
      await page.keyboard.press('+');
      await waitText(page, tid('result-text'), /Play steps at 2 steps\/s/, '+ is faster');
      assert((await speed()) === '2 steps/s', `+: ${await speed()}`);
      for (const key of ['-', '-', '-']) await page.keyboard.press(key);
      await waitText(page, tid('result-text'), /Play steps at 0\.5 steps\/s/, '− is slower, down to 0.5');
      assert((await speed()) === '0.5 steps/s', `−: ${await speed()}`);
      for (let i = 0; i < 5; i += 1) await page.keyboard.press('+');
      await waitText(page, tid('result-text'), /Play steps at 8 steps\/s/, '+ up to 8');

      // Space plays and pauses.
      await page.keyboard.press(' ');
      await waitText(page, tid('tl-play'), /^❚❚ Pause$/, 'Space plays');
      await page.waitForFunction(() => !/^step 0 /.test(document.querySelector('[data-testid="tl-position"]').textContent));
      await page.keyboard.press(' ');
      const paused = await waitText(page, tid('result-text'), /^✔ ok: paused at step (\d+) of/, 'Space pauses');
      await waitText(page, tid('tl-play'), /^▶ Play$/, 'paused');
      const at = Number(paused.match(/paused at step (\d+)/)[1]);
      assert(at > 0 && at < total, `paused in between: ${paused}`);
      assert((await tlPosition())[0] === at, 'the step shown is where it paused');

      // ? shows and hides the list of shortcuts; Esc hides it too.
      await page.keyboard.press('?');
      await waitText(page, tid('shortcuts'), /Keyboard shortcuts.*Space\s*play \/ pause.*← \/ →\s*one step back \/ forward.*Home \/ End.*− \/ \+\s*slower \/ faster/, 'the list of shortcuts');
      assert((await page.locator(tid('tl-help')).getAttribute('aria-expanded')) === 'true', 'the Shortcuts button says it is open');
      mkdirSync(SHOTS, { recursive: true });
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: `${SHOTS}timeline-play.png` });
      const { scrollWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth }));
      assert(scrollWidth <= 1366, `horizontal scroll with the play controls: scrollWidth ${scrollWidth} > 1366`);
      await page.keyboard.press('?');
      await page.waitForSelector(tid('shortcuts'), { state: 'detached' });
      await page.keyboard.press('?');
      await page.waitForSelector(tid('shortcuts'));
      await page.keyboard.press('Escape');
      await page.waitForSelector(tid('shortcuts'), { state: 'detached' });

      // Typing in a text field moves nothing: the keys are the field's.
      const before = await page.locator(tid('tl-position')).textContent();
      await page.locator(tid('msgsnd-text')).fill('');
      await page.locator(tid('msgsnd-text')).focus();
      await page.keyboard.type('a b?+-');
      for (const key of ['ArrowLeft', 'ArrowRight', 'Home', 'End', ' ']) await page.keyboard.press(key);
      assert((await page.locator(tid('msgsnd-text')).inputValue()) === 'a b?+- ', `the field got the keys: ${await page.locator(tid('msgsnd-text')).inputValue()}`);
      assert((await page.locator(tid('tl-position')).textContent()) === before, 'typing in a field moved the timeline');
      assert((await page.locator(tid('tl-play')).getAttribute('aria-pressed')) === 'false', 'typing a space in a field played');
      assert((await page.locator(tid('shortcuts')).count()) === 0, 'typing ? in a field opened the list');
      assert((await speed()) === '8 steps/s', `typing + and - in a field changed the speed: ${await speed()}`);
      // A checkbox or a radio keeps Space for itself, but ← and → step the timeline.
      await page.keyboard.press('Home');
      await blur();
      await page.keyboard.press('Home');
      await page.locator(tid('predict-mode')).focus();
      await page.keyboard.press('ArrowRight');
      await atStep(page, 1, total);
      assert(!(await page.locator(tid('predict-mode')).isChecked()), 'the checkbox did not change');
      const radio = page.locator('[data-testid^="actor-"]:checked').first();
      const actor = await radio.getAttribute('data-testid');
      await radio.focus();
      await page.keyboard.press('ArrowRight');
      await atStep(page, 2, total);
      await page.keyboard.press('ArrowLeft');
      await atStep(page, 1, total);
      assert((await page.locator(tid(actor)).isChecked()), `the acting thread stays ${actor}`);
      await blur();
      await page.keyboard.press('End');
      await atStep(page, total, total);
      await page.locator(tid('tl-slider')).focus();
      await page.keyboard.press('Home');
      await atStep(page, 0, total);
      for (let i = 0; i < at; i += 1) await page.keyboard.press('ArrowRight');
      await atStep(page, at, total);
      // The slider's own arrow keys move it one step (not two: the shortcut stays out of its way).
      await page.locator(tid('tl-slider')).focus();
      await page.keyboard.press('ArrowRight');
      await atStep(page, at + 1, total);

      // Tab reaches every new control, each with a visible focus ring.
      await page.locator(tid('tl-last')).focus();
      const reached = new Set();
      const rings = {};
      for (let i = 0; i < 20; i += 1) {
        await page.keyboard.press('Tab');
        const [id, outline] = await page.evaluate(() => {
          const el = document.activeElement;
          return [el && el.dataset.testid, el ? getComputedStyle(el).outlineStyle : ''];
        });
        if (id) {
          reached.add(id);
          rings[id] = outline;
        }
      }
      for (const id of ['tl-play', 'tl-speed', 'tl-until-wake', 'tl-until-error', 'tl-until-removal', 'tl-help', 'new-session']) {
        assert(reached.has(id), `Tab does not reach ${id}: ${[...reached].join(' ')}`);
        assert(rings[id] && rings[id] !== 'none', `${id} has no focus ring: outline ${rings[id]}`);
      }
      // The tab's title names every facility, not only message queues.
      const title = await page.title();
      assert(/message queues, semaphores, shared memory, POSIX semaphores, event ports/.test(title), `the tab title: ${title}`);
      // The first tab stops are skip links, shown when focused; one leads past
      // the header's controls to the panels.
      await page.evaluate(() => document.activeElement && document.activeElement.blur());
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.locator(tid('skip-timeline')).focus();
      assert(await page.locator(tid('skip-timeline')).isVisible(), 'a focused skip link shows');
      await page.keyboard.press('Tab');
      assert((await page.evaluate(() => document.activeElement.dataset.testid)) === 'skip-panels', 'then the second skip link');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'panels');
      await page.keyboard.press('Tab');
      const first = await page.evaluate(() => document.activeElement.closest('#panels') !== null);
      assert(first, 'the next tab stop after skipping is inside the panels');
      await blur();
      assert(pageErrors.length === 0, `page errors:\n${pageErrors.join('\n')}`);
    });

    await group('prefers-reduced-motion: nothing animates or transitions, and the strip of markers jumps to the step shown instead of scrolling smoothly', async () => {
      const [, total] = await tlPosition();
      // A narrow window, so that the strip of markers scrolls.
      await page.setViewportSize({ width: 480, height: 768 });
      try {
        const overflows = await page.locator(tid('tl-steps')).evaluate((s) => s.scrollHeight > s.clientHeight);
        assert(overflows, `the strip of ${total + 1} markers does not scroll at 480 px`);
        // Every scroll of the strip is recorded with its behaviour.
        await page.evaluate(() => {
          window.stripScrolls = [];
          window.realScrollTo = Element.prototype.scrollTo;
          Element.prototype.scrollTo = function scrollTo(...args) {
            if (this.matches('.tl-steps')) window.stripScrolls.push((args[0] && typeof args[0] === 'object' && args[0].behavior) || 'auto');
            return window.realScrollTo.apply(this, args);
          };
        });
        // A smooth scroll takes a while: wait until the strip stands still, so
        // that the next move starts from a settled strip (marker 0 out of view).
        const settled = async () => {
          let last = -1;
          for (let i = 0; i < 40; i++) {
            const top = await page.locator(tid('tl-steps')).evaluate((s) => s.scrollTop);
            if (top === last) return;
            last = top;
            await page.waitForTimeout(150);
          }
          throw new Error('the strip of markers never stops scrolling');
        };
        const scrolls = async () => {
          await blur();
          await settled();
          await page.keyboard.press('Home');
          await atStep(page, 0, total);
          await settled();
          await page.keyboard.press('End');
          await atStep(page, total, total);
          await settled();
          return page.evaluate(() => window.stripScrolls.splice(0));
        };
        const moving = await scrolls();
        assert(moving.length > 0 && moving.every((b) => b === 'smooth'), `without a preference the strip scrolls smoothly: ${moving.join(' ')}`);
        await page.emulateMedia({ reducedMotion: 'reduce' });
        try {
          assert(await page.evaluate(() => window.matchMedia('(prefers-reduced-motion: reduce)').matches), 'the reduced-motion preference is not seen');
          const still = await scrolls();
          assert(still.length > 0 && still.every((b) => b === 'auto'), `with reduced motion the strip jumps: ${still.join(' ')}`);
          // No element or pseudo-element of the page animates, transitions or scrolls smoothly.
          await page.keyboard.press('?');
          await page.waitForSelector(tid('shortcuts'));
          const animated = await page.evaluate(() => {
            const out = [];
            for (const el of document.querySelectorAll('*')) {
              for (const pseudo of [null, '::before', '::after']) {
                const cs = getComputedStyle(el, pseudo);
                const durations = `${cs.transitionDuration},${cs.animationDuration}`.split(',').map((d) => parseFloat(d) || 0);
                const named = cs.animationName.split(',').some((n) => n.trim() !== 'none');
                if (durations.some((d) => d > 0) || (named && parseFloat(cs.animationDuration) > 0) || cs.scrollBehavior === 'smooth') {
                  out.push(`${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''}${pseudo || ''}: transition ${cs.transitionDuration}, animation ${cs.animationName} ${cs.animationDuration}, scroll ${cs.scrollBehavior}`);
                }
              }
            }
            return out;
          });
          assert(animated.length === 0, `moving with reduced motion:\n${animated.slice(0, 20).join('\n')}`);
          // The stylesheet says so for every element, whatever a later rule adds.
          const reduceRule = await page.evaluate(() => [...document.styleSheets].some((sheet) => [...sheet.cssRules].some((r) =>
            r instanceof CSSMediaRule && /prefers-reduced-motion:\s*reduce/.test(r.conditionText) && [...r.cssRules].some((inner) =>
              /(^|,)\s*\*/.test(inner.selectorText) && inner.style.getPropertyPriority('transition-duration') === 'important'
                && inner.style.getPropertyPriority('animation-name') === 'important'))));
          assert(reduceRule, 'style.css has no @media (prefers-reduced-motion: reduce) rule that stops every transition and animation');
          await page.keyboard.press('Escape');
          await page.waitForSelector(tid('shortcuts'), { state: 'detached' });
        } finally {
          await page.emulateMedia({ reducedMotion: null });
        }
      } finally {
        await page.evaluate(() => {
          if (window.realScrollTo) Element.prototype.scrollTo = window.realScrollTo;
        });
        await page.setViewportSize({ width: 1366, height: 768 });
      }
      assert(pageErrors.length === 0, `page errors:\n${pageErrors.join('\n')}`);
    });

    await group('a narrow (375 px) window: the result of a call shows pinned to the bottom of the window, with Step back; a wide one has no such bar; tablet widths (768, 1024 px) keep every panel without horizontal scrolling', async () => {
      await page.setViewportSize({ width: 375, height: 700 });
      try {
        const [, total] = await tlPosition();
        await page.locator(tid('msgget-key')).fill('0');
        await page.locator(tid('msgget')).click();
        await atStep(page, total + 1, total + 1);
        const bar = page.locator(tid('result-bar'));
        await waitText(page, tid('result-bar'), /^✔ msqid 0x[0-9a-f]+ \(\d+\)⟲ Step backForward ▶$/, 'the bar says what the call returned');
        assert(await page.locator(tid('result-bar-forward')).isDisabled(), 'at the last step there is nothing forward');
        const box = await bar.boundingBox();
        const inView = box && box.y >= 0 && box.y + box.height <= 700 && box.height >= 24;
        assert(inView, `the bar is not inside the 700 px window: ${JSON.stringify(box)}`);
        const button = await page.locator(tid('msgget')).boundingBox();
        assert(button, 'the msgget button is drawn');
        await page.locator(tid('result-bar-back')).click();
        await atStep(page, total, total + 1);
        // Forward is at hand too: a narrow window steps both ways without scrolling.
        await page.locator(tid('result-bar-forward')).click();
        await atStep(page, total + 1, total + 1);
        await page.locator(tid('result-bar-back')).click();
        await atStep(page, total, total + 1);
        await page.screenshot({ path: `${SHOTS}playground-narrow.png` });
        if (process.env.IPC_UPDATE_README_SHOT) copyFileSync(`${SHOTS}playground-narrow.png`, fileURLToPath(new URL('../../www/screenshot-narrow.png', import.meta.url)));
      } finally {
        await page.setViewportSize({ width: 1366, height: 768 });
      }
      assert(!(await page.locator(tid('result-bar')).isVisible()), 'a wide window has no result bar');
      // Tablet widths lose no panel and need no horizontal scrolling.
      const panels = ['processes', 'result', 'slots', 'avl', 'ids', 'semaphores', 'shm', 'psem', 'ports', 'queues', 'events', 'timeline'];
      for (const [width, height] of [[768, 1024], [1024, 768]]) {
        await page.setViewportSize({ width, height });
        try {
          for (const p of panels) assert((await page.locator(tid(p)).count()) === 1, `${width} px: the ${p} panel is on the page`);
          const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
          assert(scrollWidth <= width, `${width} px: horizontal scroll, scrollWidth ${scrollWidth}`);
        } finally {
          await page.setViewportSize({ width: 1366, height: 768 });
        }
      }
      assert(pageErrors.length === 0, `page errors:\n${pageErrors.join('\n')}`);
    });

    await group('the session survives a reload (same step, same queues); New session clears it; a saved session that cannot be replayed gives a fresh one', async () => {
      const [, total] = await tlPosition();
      await page.locator(tid(`tl-step-${total - 3}`)).click();
      await atStep(page, total - 3, total);
      // A copied link sits in the address until the session moves on.
      await page.locator(tid('copy-link')).click();
      await waitText(page, tid('result-text'), /the link to this session/, 'copy link');
      assert(/#session=/.test(page.url()), `the link is in the address: ${page.url()}`);
      await page.locator(tid('tl-forward')).click();
      await atStep(page, total - 2, total);
      assert(!/#session=/.test(page.url()), `the session moved on: the old link leaves the address: ${page.url()}`);
      const want = {
        position: await page.locator(tid('tl-position')).textContent(),
        queues: await page.locator(tid('queues')).textContent(),
        processes: await page.locator('[data-testid^="proc-"]').count(),
      };
      await page.reload({ waitUntil: 'load' });
      await ready(page);
      await waitText(page, tid('result-text'), new RegExp(`^✔ ok: restored your last session \\(${total} step\\(s\\)\\), showing step ${total - 2} of ${total}`), 'the reload restores the session');
      const got = {
        position: await page.locator(tid('tl-position')).textContent(),
        queues: await page.locator(tid('queues')).textContent(),
        processes: await page.locator('[data-testid^="proc-"]').count(),
      };
      for (const k of Object.keys(want)) assert(got[k] === want[k], `restored ${k} differ:\n  ${want[k]}\n  ${got[k]}`);

      // New session: the two processes and an empty timeline, also after a reload.
      await page.locator(tid('new-session')).click();
      await waitText(page, tid('result-text'), /a fresh kernel with the two processes every lesson starts with/, 'new session');
      await atStep(page, 0, 0);
      await waitText(page, tid('queues'), /No queues/, 'no queue in the new session');
      assert((await page.locator('[data-testid^="proc-"]').count()) === 2, 'two processes in the new session');
      await page.reload({ waitUntil: 'load' });
      await ready(page);
      await atStep(page, 0, 0);
      assert((await page.locator(tid('result-text')).count()) === 0, `a fresh page, nothing restored: ${await page.locator(tid('result')).textContent()}`);
      assert((await page.locator('[data-testid^="proc-"]').count()) === 2, 'two processes after the reload');
      // One action, and a reload brings it back.
      const threadIds = await page.locator('[data-testid^="thread-state-"]').evaluateAll((els) => els.map((e) => e.dataset.testid.replace('thread-state-', '')));
      await page.locator(tid(`actor-${threadIds[0]}`)).check();
      await page.locator(tid('msgget-key')).fill('42');
      await page.locator(tid('msgget-mode')).fill('0600');
      await page.locator(tid('msgget')).click();
      await waitText(page, tid('result-text'), /ok: msqid/, 'msgget 0x42');
      await page.reload({ waitUntil: 'load' });
      await ready(page);
      await waitText(page, tid('result-text'), /restored your last session \(1 step\(s\)\), showing step 1 of 1/, 'one step restored');
      await waitText(page, tid('queues'), /key 0x00000042/, 'the queue is back');

      // Saved sessions that cannot be replayed: a clear message and a fresh session.
      for (const [saved, re] of [
        [JSON.stringify({ format: 'ipclab-session', version: 0, log: [] }), /Your last session could not be replayed: session version 0; this build reads versions 1 and 2/],
        ['not json {', /Your last session could not be replayed: the saved session is not JSON/],
        [JSON.stringify({ format: 'ipclab-session', version: 1, base: 0, step: 1, log: [['rmRf', []]] }), /step 1 is not an operation this build knows/],
      ]) {
        await page.evaluate((s) => localStorage.setItem('ipclab-session', s), saved);
        await page.reload({ waitUntil: 'load' });
        await ready(page);
        await waitText(page, tid('result-text'), re, `the message for the saved ${saved.slice(0, 30)}`);
        await waitText(page, tid('result'), /a fresh session was started instead/, 'what stands instead');
        await atStep(page, 0, 0);
        assert((await page.locator('[data-testid^="proc-"]').count()) === 2, 'a fresh session: two processes');
        // The fresh session replaces the bad one in the storage.
        await savedSteps(page, 0);
      }
      // So the next reload is quiet.
      await page.reload({ waitUntil: 'load' });
      await ready(page);
      await atStep(page, 0, 0);
      assert((await page.locator(tid('result-text')).count()) === 0, 'no message after the fresh session was saved');
      assert(pageErrors.length === 0, `page errors:\n${pageErrors.join('\n')}`);
    });

    await group('without localStorage (private mode) the playground works and saves nothing', async () => {
      const other = await browser.newPage({ viewport: { width: 1366, height: 768 } });
      const errors = [];
      other.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      other.on('console', (m) => m.type() === 'error' && errors.push(`console error: ${m.text()}`));
      await other.addInitScript(() => {
        Object.defineProperty(window, 'localStorage', {
          configurable: true,
          get() {
            throw new DOMException('The operation is insecure.', 'SecurityError');
          },
        });
      });
      try {
        await other.goto(page.url().split('#')[0], { waitUntil: 'load' });
        await ready(other);
        assert((await other.locator('[data-testid^="proc-"]').count()) === 2, 'two processes');
        await other.locator(tid('msgget-key')).fill('43');
        await other.locator(tid('msgget')).click();
        await waitText(other, tid('result-text'), /ok: msqid/, 'msgget without storage');
        await other.locator(tid('tl-first')).click();
        await atStep(other, 0, 1);
        await other.locator(tid('new-session')).click();
        await atStep(other, 0, 0);
        await other.reload({ waitUntil: 'load' });
        await ready(other);
        await atStep(other, 0, 0);
        assert((await other.locator(tid('result-text')).count()) === 0, 'nothing to restore without storage');
        assert(errors.length === 0, `errors without localStorage:\n${errors.join('\n')}`);
      } finally {
        await other.close();
      }
    });

    // Presets: every preset of www/presets/index.json, loaded through the
    // Presets control, tells its story, and at its last step explains what
    // happened and reaches its goal (the goal's checks are the preset's own
    // data: text a panel shows or lacks, the last step's kind).
    await group('presets: each one loads at its start with its story, replays as it was made, and at its last step explains it and reaches its goal', async () => {
      const json = async (path) => {
        const res = await fetch(new URL(path, page.url().split('#')[0]));
        assert(res.ok, `${path}: HTTP ${res.status}`);
        return res.json();
      };
      const index = await json('presets/index.json');
      assert(Array.isArray(index.presets) && index.presets.length >= 12, `presets/index.json lists ${index.presets && index.presets.length} presets`);
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid="preset-select"] option').length === n, index.presets.length);
      const options = await page.locator(`${tid('preset-select')} option`).evaluateAll((els) => els.map((e) => e.value));
      assert(options.join() === index.presets.map((p) => p.name).join(), `the list is index.json's, in its order: ${options.join()}`);
      assert((await page.locator('label[for="preset-select"]').textContent()).includes('Presets'), 'the list is labelled');
      if ((await page.locator(tid('scenario')).count()) === 0) {
        const chosen = await page.locator(tid('preset-select')).inputValue();
        assert(chosen === index.presets[0].name, `with no preset loaded the list offers the first: ${chosen}`);
      }
      for (const { name } of index.presets) {
        const preset = await json(`presets/${name}.json`);
        const total = preset.log.length - preset.base;
        await page.locator(tid('preset-select')).selectOption(name);
        await page.locator(tid('preset-load')).click();
        await waitText(page, tid('result-text'), new RegExp(`^✔ ok: replayed the preset's ${total} step\\(s\\); showing step 0 of ${total}`), `${name} loads at its start`);
        const result = await page.locator(tid('result')).textContent();
        assert(!/differently/.test(result), `${name} replays differently on this build: ${result}`);
        await atStep(page, 0, total);
        await waitText(page, tid('scenario-title'), new RegExp(`^${preset.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`), `${name}: the title`);
        assert((await page.locator(tid('scenario-story')).textContent()) === preset.story, `${name}: the story shows`);
        assert((await page.locator(tid('scenario-goal')).textContent()) === `Goal: ${preset.goal.says}`, `${name}: the goal shows`);
        assert((await page.locator(tid('scenario-explain')).count()) === 0, `${name}: the explanation waits for the last step`);
        assert((await page.locator(tid('goal-verdict')).count()) === 0, `${name}: no verdict before the last step`);
        await blur();
        await page.keyboard.press('End');
        await atStep(page, total, total);
        const verdict = await waitText(page, tid('goal-verdict'), /^Goal (not )?reached/, `${name}: the verdict at the last step`);
        assert(/^Goal reached ✔/.test(verdict), `${name}: ${verdict}`);
        assert((await page.locator(tid('scenario-explain')).textContent()) === `What happened: ${preset.explain}`, `${name}: the explanation shows`);
        // The kernel's deadlock detector: every philosopher parked.
        const deadlock = await page.locator(tid('deadlock')).count();
        assert(deadlock === (name === 'philosophers-deadlock' ? 1 : 0), `${name}: ${deadlock} deadlock box(es)`);
        if (name === 'philosophers-deadlock') {
          await waitText(page, tid('deadlock'), /Deadlock — every thread waits/, 'the deadlock is detected');
          // The semaphore form names the preset's set: the first semop works without typing an id.
          const semid = await page.locator(tid('semid')).inputValue();
          assert(semid === '0', `the semid field follows the loaded preset: "${semid}"`);
          const rows = await page.locator(`${tid('deadlock')} li`).allTextContents();
          // The preset names its processes (phil0 … phil4): the box uses the names.
          assert(rows.length === 5 && rows.every((r, i) => new RegExp(`^tid ${i + 1} of phil${i} \\(pid ${i + 1}\\) waits in semop: semaphore ${(i + 1) % 5} of semid 0x0 needs semval ≥ 1 — held by phil${(i + 1) % 5} \\(pid ${((i + 1) % 5) + 1}\\)$`).test(r)),
            `the wait-for graph: each waits for the fork its neighbour holds:\n${rows.join('\n')}`);
          // Drawn too: five processes, and an arrow from each to the neighbour holding its fork (a cycle).
          const nodes = await page.locator(`${tid('deadlock-graph')} g.node`).count();
          const edges = await page.locator(`${tid('deadlock-graph')} line.edge`).evaluateAll((ls) => ls.map((l) => `${l.dataset.from}>${l.dataset.to}`));
          assert(nodes === 5, `the drawing has ${nodes} processes`);
          assert(edges.length === 5 && [1, 2, 3, 4, 5].every((p) => edges.includes(`${p}>${(p % 5) + 1}`)), `the drawn arrows: ${edges.join(' ')}`);
          const label = await page.locator(tid('deadlock-graph')).getAttribute('aria-label');
          assert(/^wait-for graph: phil0 \(pid 1\) waits for phil1 \(pid 2\); /.test(label), `the drawing's words: ${label}`);
          await readmePanel(page, 'deadlock', 'deadlock');
          mkdirSync(SHOTS, { recursive: true });
          await page.evaluate(() => window.scrollTo(0, 0));
          await page.screenshot({ path: `${SHOTS}preset.png` });
        }
        // One step back: no verdict and no explanation.
        await page.keyboard.press('ArrowLeft');
        await atStep(page, total - 1, total);
        await page.waitForSelector(tid('goal-verdict'), { state: 'detached' });
      }
      assert(pageErrors.length === 0, `page errors:\n${pageErrors.join('\n')}`);
    });

    await group('presets: the loaded preset is the session (kept across a reload with its scenario); one that cannot be loaded keeps the session; New session puts the scenario away', async () => {
      const [shown, total] = await tlPosition();
      const title = await page.locator(tid('scenario-title')).textContent();
      await page.reload({ waitUntil: 'load' });
      await ready(page);
      await atStep(page, shown, total);
      await waitText(page, tid('scenario-title'), new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`), 'the scenario is back after a reload');
      // A preset file this build cannot read: a clear message, the session stays.
      const queues = await page.locator(tid('queues')).textContent();
      const first = await page.locator(`${tid('preset-select')} option`).first().getAttribute('value');
      await page.route(`**/presets/${first}.json`, (route) => route.fulfill({ status: 200, contentType: 'application/json', body: '{"format":"ipclab-session","version":0,"log":[]}' }));
      try {
        await page.locator(tid('preset-select')).selectOption(first);
        await page.locator(tid('preset-load')).click();
        await waitText(page, tid('result-text'), /^✖ error: The preset could not be loaded: session version 0; this build reads versions 1 and 2/, 'a preset of another version');
        await waitText(page, tid('result'), /the session shown before is kept/, 'what stands instead');
      } finally {
        await page.unroute(`**/presets/${first}.json`);
      }
      await atStep(page, shown, total);
      assert((await page.locator(tid('queues')).textContent()) === queues, 'the session is unchanged');
      assert((await page.locator(tid('scenario-title')).textContent()) === title, 'the scenario is unchanged');
      await page.locator(tid('new-session')).click();
      await atStep(page, 0, 0);
      await page.waitForSelector(tid('scenario'), { state: 'detached' });
      // The guided start is back, and its button starts the first story.
      await waitText(page, tid('first-story'), /▶ Start with “Producer and consumer over one queue”/, 'the first story offered');
      await page.locator(tid('first-story')).click();
      await waitText(page, tid('scenario'), /./, 'the first story loaded');
      await page.waitForSelector(tid('first-steps'), { state: 'detached' });
      await page.locator(tid('new-session')).click();
      await atStep(page, 0, 0);
      await page.waitForSelector(tid('scenario'), { state: 'detached' });
      assert(pageErrors.length === 0, `page errors:\n${pageErrors.join('\n')}`);
    });

    // Everyone can use it: axe-core at representative states, the text twins
    // of the pictures, and (above) prefers-reduced-motion.

    /** The thread ids shown, in order. */
    const threadIdsNow = () =>
      page.locator('[data-testid^="thread-state-"]').evaluateAll((els) => els.map((e) => Number(e.dataset.testid.replace('thread-state-', ''))));
    /** A new session (its first thread acting). */
    const freshSession = async () => {
      await page.locator(tid('new-session')).click();
      await atStep(page, 0, 0);
      const [first] = await threadIdsNow();
      await page.locator(tid(`actor-${first}`)).check();
      return first;
    };
    /** Loads preset `name` and shows its last step; returns its number of steps. */
    const presetAtEnd = async (name) => {
      const res = await fetch(new URL(`presets/${name}.json`, page.url().split('#')[0]));
      const preset = await res.json();
      const total = preset.log.length - preset.base;
      await page.locator(tid('preset-select')).selectOption(name);
      await page.locator(tid('preset-load')).click();
      await waitText(page, tid('result-text'), new RegExp(`^✔ ok: replayed the preset's ${total} step\\(s\\); showing step 0 of ${total}`), `${name} loads`);
      await blur();
      await page.keyboard.press('End');
      await atStep(page, total, total);
      return total;
    };

    await group('accessibility: axe-core finds no violation after the first msgget, at a deadlock (parked threads, the Deadlock box, the scenario), with a prediction asked and answered, with the event ports filled, and with the shortcut list open', async () => {
      const found = [];
      await freshSession();
      await page.locator(tid('msgget-key')).fill('10');
      await page.locator(tid('msgget-mode')).fill('0600');
      if (!(await page.locator(tid('msgget-creat')).isChecked())) await page.locator(tid('msgget-creat')).check();
      await page.locator(tid('msgget')).click();
      await waitText(page, tid('result-text'), /ok: msqid/, 'the first msgget');
      await axeAt(page, 'after the first msgget', found);

      await presetAtEnd('philosophers-deadlock');
      await waitText(page, tid('deadlock'), /Deadlock — every thread waits/, 'the deadlock box');
      await waitText(page, tid('goal-verdict'), /^Goal reached/, 'the scenario at its end');
      assert((await page.locator('[data-testid^="thread-state-"]').allTextContents()).every((t) => /blocked/.test(t)), 'every thread is parked');
      await axeAt(page, 'the philosophers deadlock: parked threads, the Deadlock box, the scenario', found);

      await page.locator(tid('predict-mode')).check();
      await page.locator(tid('tl-first')).click();
      await page.locator(tid('tl-forward')).click();
      await waitText(page, tid('predict-ask'), /Step 1: .* what will it do\?/, 'a question');
      await axeAt(page, 'predict mode on, a question pending', found);
      await page.locator(tid('predict-ok')).click();
      await page.waitForSelector(tid('predict-verdict'));
      await axeAt(page, 'predict mode on, the verdict shown', found);
      await page.locator(tid('predict-mode')).uncheck();

      await presetAtEnd('port-dispatcher');
      await page.waitForSelector(`${tid('port-list')} ${tid('port-queue-1')}, ${tid('port-list')} [data-testid^="port-queue-"]`);
      await page.waitForSelector(`${tid('fdtables')} li`);
      await axeAt(page, 'the event-port dispatcher at its last step', found);

      await blur();
      await page.keyboard.press('?');
      await page.waitForSelector(tid('shortcuts'));
      await axeAt(page, 'the list of shortcuts open', found);
      await page.keyboard.press('Escape');
      await page.waitForSelector(tid('shortcuts'), { state: 'detached' });
      assertNoViolations(found);
      assert(pageErrors.length === 0, `page errors:\n${pageErrors.join('\n')}`);
    });

    await group('text twins: the AVL tree as a nested list names the drawing\'s keys, in the same shape with the same heights and balances; the slot table and the messages are tables with headers; parked threads a list', async () => {
      /** The drawing and its twin, each as its in-order list of "key@depth hH bB". */
      const shapes = () =>
        page.evaluate(() => {
          const nodes = [...document.querySelectorAll('[data-testid="avl"] > .tree-box svg [data-testid^="avl-node-"]')].map((g) => {
            const texts = [...g.querySelectorAll('text')].map((t) => t.textContent);
            return { x: Number(g.querySelector('rect').getAttribute('x')), y: Number(g.querySelector('rect').getAttribute('y')), key: texts[0], hb: texts[2] };
          });
          const levels = [...new Set(nodes.map((n) => n.y))].sort((p, q) => p - q);
          const drawn = nodes.sort((p, q) => p.x - q.x).map((n) => `${n.key}@${levels.indexOf(n.y)} ${n.hb}`);
          const sides = [];
          const walk = (li, depth, side) => {
            if (!li || !li.dataset.testid) return [];
            if (li.dataset.side !== side) sides.push(`${li.dataset.testid} is said to be ${li.dataset.side}, not ${side}`);
            const m = li.textContent.match(/height (\d+), balance ([+-]?\d+)/);
            const kids = li.querySelector(':scope > ul');
            const [left, right] = kids ? [...kids.children] : [];
            return [...walk(left, depth + 1, 'left'), `${li.querySelector(':scope > .k').textContent}@${depth} h${m && m[1]} b${m && m[2]}`, ...walk(right, depth + 1, 'right')];
          };
          const twin = walk(document.querySelector('[data-testid="avl-list"] > ul > li'), 0, 'root');
          const label = document.querySelector('[data-testid="avl"] > .tree-box svg')?.getAttribute('aria-label') || '';
          const summary = document.querySelector('[data-testid="avl-list"] > summary')?.textContent || '';
          return { drawn, twin, sides, label, summary };
        });
      const twinMatches = async (when) => {
        const { drawn, twin, sides, label, summary } = await shapes();
        assert(drawn.length > 0, `${when}: no tree drawn`);
        assert(JSON.stringify(twin) === JSON.stringify(drawn), `${when}: the list is not the drawing:\n  drawn ${drawn.join(', ')}\n  list  ${twin.join(', ')}`);
        assert(sides.length === 0, `${when}: ${sides.join('; ')}`);
        const n = drawn.length;
        assert(label.startsWith(`AVL tree of ${n} keys`) && summary === `The tree as a list (${n} keys)`, `${when}: the counts: "${label}", "${summary}"`);
      };
      await freshSession();
      await page.locator(tid('msgget-mode')).fill('0666');
      if (!(await page.locator(tid('msgget-creat')).isChecked())) await page.locator(tid('msgget-creat')).check();
      // Keys that make every shape: rotations both ways, nodes with one child, leaves.
      for (const key of ['50', '30', '70', '20', '40', '60', '80', '10', '35', '36', '37']) {
        await page.locator(tid('msgget-key')).fill(key);
        await page.locator(tid('msgget')).click();
        await waitText(page, tid('result-call'), new RegExp(`msgget\\(0x000000${key},`), `msgget ${key}`);
        await page.waitForSelector(tid(`avl-item-${parseInt(key, 16)}`), { state: 'attached' });
        await twinMatches(`after msgget 0x${key}`);
      }
      const twinText = await page.locator(tid('avl-list')).textContent();
      assert(/^The tree as a list \(11 keys\)root: 0x[0-9a-f]+ — id 0x[0-9a-f]+ \(\d+\), height \d+, balance [+-]?\d+/.test(twinText), `the twin in words: ${twinText}`);
      assert(/(left|right): none/.test(twinText), `a node with one child says which side is empty: ${twinText}`);
      /** The id of key `hex`, as the drawing shows it. */
      const idOfKey = (hex) => page.locator(tid(`avl-node-${parseInt(hex, 16)}`)).evaluate((g) => Number(g.querySelectorAll('text')[1].textContent.replace('id ', '')));
      // Removing keys rebalances; the twin follows.
      for (const key of ['50', '10']) {
        await page.locator(tid('msqid')).fill(String(await idOfKey(key)));
        await page.locator(tid('msgctl-rmid')).click();
        await waitText(page, tid('result-text'), /queue removed/, `IPC_RMID of key 0x${key}`);
        await page.waitForSelector(tid(`avl-item-${parseInt(key, 16)}`), { state: 'detached' });
        await twinMatches(`after removing key 0x${key}`);
      }

      // The slot table: a caption, a header per column, a header per row (the slot).
      const slots = await page.locator(tid('slot-table')).evaluate((t) => ({
        caption: t.caption ? t.caption.textContent : '',
        cols: [...t.tHead.rows[0].cells].map((c) => `${c.tagName}/${c.scope}`),
        rows: [...t.tBodies[0].rows].map((r) => [r.cells.length, r.cells[0].tagName, r.cells[0].scope, r.cells[0].textContent, r.dataset.testid]),
      }));
      assert(/slot table/.test(slots.caption), `the slot table's caption: ${slots.caption}`);
      assert(slots.cols.length === 6 && slots.cols.every((c) => c === 'TH/col'), `the slot table's column headers: ${slots.cols}`);
      assert(slots.rows.length >= 8 && slots.rows.every(([n, tag, scope, text, testid]) => n === 6 && tag === 'TH' && scope === 'row' && testid === `slot-${text}`),
        `each slot row is headed by its index: ${JSON.stringify(slots.rows)}`);

      // A queue's messages: a table with column and row headers; its parked threads: a list.
      const id = await idOfKey('20');
      await page.locator(tid('msqid')).fill(String(id));
      for (const [mtype, text] of [['1', 'first'], ['2', 'second']]) {
        await page.locator(tid('msgsnd-mtype')).fill(mtype);
        await page.locator(tid('msgsnd-text')).fill(text);
        await page.locator(tid('msgsnd')).click();
        await waitText(page, tid('result-call'), new RegExp(`"${text}"`), `msgsnd ${text}`);
      }
      const messages = await page.locator(tid(`queue-messages-${id}`)).evaluate((t) => ({
        caption: t.caption ? t.caption.textContent : '',
        cols: [...t.tHead.rows[0].cells].map((c) => `${c.tagName}/${c.scope}`),
        rows: [...t.tBodies[0].rows].map((r) => [r.cells.length, r.cells[0].tagName, r.cells[0].scope, r.cells[0].textContent]),
      }));
      assert(/^Messages of queue/.test(messages.caption), `the messages' caption: ${messages.caption}`);
      assert(messages.cols.length >= 4 && messages.cols.every((c) => c === 'TH/col'), `the messages' column headers: ${messages.cols}`);
      assert(messages.rows.length === 2 && messages.rows.every(([n, tag, scope, text], i) => n === messages.cols.length && tag === 'TH' && scope === 'row' && text === String(i + 1)),
        `each message row is headed by its place in the queue: ${JSON.stringify(messages.rows)}`);
      const [, second] = await threadIdsNow();
      await page.locator(tid(`actor-${second}`)).check();
      await page.locator(tid('msgrcv-msgtyp')).fill('9');
      if (await page.locator(tid('msgrcv-nowait')).isChecked()) await page.locator(tid('msgrcv-nowait')).uncheck();
      await page.locator(tid('msgrcv')).click();
      await waitText(page, tid(`thread-state-${second}`), /blocked/, 'a receiver parks');
      const parked = await page.locator(`${tid(`queue-${id}`)} ul.waiters > li`).allTextContents();
      assert(parked.length === 1 && new RegExp(`receiver tid ${second} `).test(parked[0]), `the parked threads are a list: ${JSON.stringify(parked)}`);
      await page.locator(`${tid('avl-list')} > summary`).click();
      assert(await page.locator(tid('avl-list')).evaluate((d) => d.open), 'the list opens');
      await twinMatches('with the list open');
      const found = [];
      await axeAt(page, 'a tree of 9 keys with its list open, two messages, a parked receiver', found);
      assertNoViolations(found);
      assert(pageErrors.length === 0, `page errors:\n${pageErrors.join('\n')}`);
    });

    await group('a recorded run: `ipclab run --record` opens in the playground — the guests by name, every call a step, the deadlock', async () => {
      const ipclab = fileURLToPath(new URL('../../target/release/ipclab', import.meta.url));
      if (!existsSync(ipclab)) {
        console.log(`  (target/release/ipclab not built: no run to record here)`);
        return;
      }
      mkdirSync(SHOTS, { recursive: true });
      const path = `${SHOTS}recorded-philosophers.json`;
      const root = fileURLToPath(new URL('../../', import.meta.url));
      // The one-fork-at-a-time philosophers deadlock under FIFO: exit 3.
      const run = spawnSync(ipclab, ['run', 'host/examples/philosophers-onefork.toml', '--record', path], { cwd: root, encoding: 'utf8' });
      assert(run.status === 3, `the run deadlocks (exit 3), got ${run.status}:\n${run.stderr}`);
      assert(/recorded in /.test(run.stderr), `the run says where it recorded:\n${run.stderr}`);
      const recorded = JSON.parse(readFileSync(path, 'utf8'));
      assert(recorded.version === 2 && recorded.config === 'default' && recorded.names['1'] === 'phil0', 'a version-2 session with the guests\' names');
      await page.locator(tid('import-session')).setInputFiles(path);
      const steps = recorded.log.length - recorded.base;
      await waitText(page, tid('result-text'), /replayed the file's \d+ step\(s\)/, 'the recorded run replays');
      assert(!/replays it differently/.test(await page.locator(tid('result')).textContent()), 'every step replays as the run made it');
      await waitText(page, tid('tl-position'), new RegExp(`^step ${steps} of ${steps}\\b`), 'the last step is shown');
      for (let pid = 1; pid <= 5; pid++) {
        await waitText(page, tid(`proc-${pid}`), new RegExp(`phil${pid - 1} \\(pid ${pid}\\)`), `guest phil${pid - 1} names pid ${pid}`);
      }
      await waitText(page, tid('deadlock'), /tid 1 of phil0 \(pid 1\) waits in semop/, 'the deadlock names the guests');
      await waitText(page, tid('deadlock'), /held by phil1 \(pid 2\)/, 'and who holds the fork');
      // Stepping back walks the guests' calls: the step before the last is phil3's park.
      await page.locator(tid('tl-back')).click();
      await waitText(page, tid('tl-position'), new RegExp(`^step ${steps - 1} of ${steps}\\b.*by phil3 \\(pid 4\\)`), 'a step in words names its guest');
      await page.locator(tid('tl-last')).click();
      await page.locator(tid('deadlock')).scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${SHOTS}recorded-run.png` });
      await readmePanel(page, 'deadlock', 'recorded');
      // A link naming a served file opens it too: `#open=runs/NAME.json`
      // (a run recorded into www/runs/, served with the page).
      mkdirSync(`${root}www/runs`, { recursive: true });
      copyFileSync(path, `${root}www/runs/philosophers-onefork.json`);
      const base = page.url().split('#')[0];
      const other = await browser.newPage({ viewport: { width: 1366, height: 768 } });
      other.on('pageerror', (e) => pageErrors.push(`pageerror (served run): ${e.message}`));
      const open = async (hash) => {
        await other.goto('about:blank');
        await other.goto(base + hash, { waitUntil: 'load' });
        await other.waitForSelector('[data-testid="app"][data-ready="true"]');
      };
      try {
        await open('#open=runs/philosophers-onefork.json');
        await waitText(other, tid('tl-position'), new RegExp(`^step ${steps} of ${steps}\\b.*by phil4 \\(pid 5\\)`), 'the served run opens at its last step');
        await waitText(other, tid('proc-3'), /phil2 \(pid 3\)/, 'with its names');
        await open('#open=runs/no-such-run.json');
        await waitText(other, tid('result-text'), /could not be replayed: .*no-such-run\.json: HTTP 404/, 'a link to a file that is not served says so');
        await open(`#open=${encodeURIComponent('https://example.com/x.json')}`);
        await waitText(other, tid('result-text'), /is not a file of this server/, 'a link cannot fetch from elsewhere');
      } finally {
        await other.close();
      }
      assert(pageErrors.length === 0, `page errors:\n${pageErrors.join('\n')}`);
    });
  } finally {
    await browser.close();
  }
}

try {
  await main();
} catch (e) {
  failed += 1;
  console.log(`FAIL - browser run: ${e && e.stack ? e.stack : e}`);
}
if (pageErrors.length) console.log(`page errors seen:\n  ${pageErrors.join('\n  ')}`);
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
