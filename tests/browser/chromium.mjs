// Launching Debian's Chromium (/usr/bin/chromium; a browser is never
// downloaded) through playwright-core from www/node_modules, the same way
// for every browser test: headless, no sandbox (CI runs as root), and
// nothing that reaches the network on its own.

import { createRequire } from 'node:module';

const require = createRequire(new URL('../../www/package.json', import.meta.url));
const { chromium } = require('playwright-core');

/** A headless Chromium for a test run. */
export function launchChromium() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
