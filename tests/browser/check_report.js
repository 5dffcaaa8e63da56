// Opens an HTML report in headless Chromium (playwright-core) and prints what a reader would see as JSON:
// console errors, every network request, the numbers on the page, and whether the screenshot is blank.
// Usage: node check_report.js REPORT.html SCREENSHOT.png   (CHROMIUM: the browser binary, default /usr/bin/chromium)
const { chromium } = require('playwright-core');
const fs = require('fs');
const zlib = require('zlib');

// Distinct colours of an 8-bit RGB/RGBA, non-interlaced PNG (what Chromium writes), sampled every 7th pixel.
function colours(png) {
  let pos = 8, width = 0, height = 0, channels = 4;
  const idat = [];
  while (pos < png.length) {
    const len = png.readUInt32BE(pos), type = png.toString('ascii', pos + 4, pos + 8);
    const data = png.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') { width = data.readUInt32BE(0); height = data.readUInt32BE(4); channels = data[9] === 6 ? 4 : 3; }
    if (type === 'IDAT') idat.push(data);
    pos += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels, prev = Buffer.alloc(stride), row = Buffer.alloc(stride), seen = new Set();
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)], line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? row[x - channels] : 0, b = prev[x], c = x >= channels ? prev[x - channels] : 0;
      let v = line[x];
      if (f === 1) v += a; else if (f === 2) v += b; else if (f === 3) v += (a + b) >> 1;
      else if (f === 4) { const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c); v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c; }
      row[x] = v & 255;
    }
    for (let x = 0; x < width; x += 7) seen.add(row.readUIntBE(x * channels, 3));
    row.copy(prev);
  }
  return seen.size;
}

(async () => {
  const [file, shot] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [], requests = [];
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', e => errors.push(String(e)));
  page.on('request', r => requests.push(r.url()));
  const url = 'file://' + require('path').resolve(file);
  await page.goto(url, { waitUntil: 'load' });
  const seen = await page.evaluate(() => ({
    findings: Number(document.getElementById('total-findings').textContent),
    events: Number(document.getElementById('total-events').textContent),
    rules: Object.fromEntries([...document.querySelectorAll('.rule')].map(r => [r.dataset.rule, Number(r.dataset.count)])),
    svgs: document.querySelectorAll('svg').length,
    details: document.querySelectorAll('details').length,
    integrity: (document.getElementById('integrity-verdict') || {}).textContent || null,
    data: JSON.parse(document.getElementById('report-data').textContent).findings,
  }));
  const png = await page.screenshot({ path: shot, fullPage: false });
  await browser.close();
  console.log(JSON.stringify({ errors, requests: requests.filter(u => u !== url), colours: colours(png), ...seen }));
})().catch(e => { console.error(e); process.exit(1); });
