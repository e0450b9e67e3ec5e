/// <reference lib="dom" />
/**
 * Rollout reports opened in a real browser: Debian's chromium, headless, driven by playwright-core. The
 * reports are those of simulated rollouts (the real state machine and handlers), read from the simulated
 * world by the same reader `coalmine report` uses on AWS. Required under CI=true; skipped visibly
 * elsewhere when chromium is missing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { renderReport } from '../../shared/report/html';
import { readReportData, type ReportData } from '../../shared/report/read';
import { builtInScenario } from '../../sim/scenario';
import { simulate } from '../../sim/simulate';
import { describeNeeding, findOnPath } from '../integration/required-programs';

const SCENARIOS = ['bad-canary', 'edge-canary', 'healthy', 'approval'] as const;

/** The flags a closed network needs (no background fetches to Google's hosts), in a fresh profile. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function reportOf(scenario: string): Promise<{ data: ReportData; html: string }> {
  let data: ReportData | undefined;
  await simulate(builtInScenario(scenario), {
    afterRun: async ({ executionArn, executionName }) => {
      data = await readReportData(executionArn, executionName);
    },
  });
  if (data === undefined) throw new Error(`no report data for ${scenario}`);
  return { data, html: renderReport(data) };
}

/** How many distinct colours a PNG shows, counted by the browser itself on a canvas in a page of its own. */
async function distinctColours(browser: Browser, png: Buffer): Promise<number> {
  const page = await browser.newPage();
  await page.setContent(`<img id="shot" src="data:image/png;base64,${png.toString('base64')}">`);
  return page.evaluate(async () => {
    const img = document.getElementById('shot') as HTMLImageElement;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const context = canvas.getContext('2d') as CanvasRenderingContext2D;
    context.drawImage(img, 0, 0);
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    const colours = new Set<number>();
    for (let i = 0; i < pixels.length; i += 4 * 7) colours.add((pixels[i]! << 16) | (pixels[i + 1]! << 8) | pixels[i + 2]!);
    return colours.size;
  }).finally(() => page.close());
}

describeNeeding('rollout reports in headless Chromium', ['chromium'], 'install with `apt-get install -y chromium` (Debian)', () => {
  let browser: Browser;
  let dir: string;
  const reports = new Map<string, { data: ReportData; file: string }>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coalmine-report-'));
    for (const scenario of SCENARIOS) {
      const { data, html } = await reportOf(scenario);
      const file = join(dir, `${scenario}.html`);
      writeFileSync(file, html);
      reports.set(scenario, { data, file });
    }
    browser = await chromium.launch({ executablePath: findOnPath('chromium'), args: CHROMIUM_ARGS });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  async function open(scenario: string, colorScheme: 'light' | 'dark' = 'light'): Promise<{ page: Page; problems: string[]; data: ReportData }> {
    const { data, file } = reports.get(scenario)!;
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, colorScheme });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('request', (request) => {
      if (!request.url().startsWith('file:')) problems.push(`network request: ${request.url()}`);
    });
    await page.goto(`file://${file}`);
    return { page, problems, data };
  }

  it.each(SCENARIOS)('%s: every chart renders with size, and the page has no console error and no network request', async (scenario) => {
    const { page, problems, data } = await open(scenario);
    const boxes = await page.$$eval('svg.chart', (svgs) => svgs.map((svg) => ({ id: svg.id, ...svg.getBoundingClientRect().toJSON() as { width: number; height: number } })));
    // The weight, plus one chart per series: an alias target has Lambda's errors and duration.
    expect(boxes.map((b) => b.id)).toEqual(['chart-weight', ...data.charts.map((_, i) => `chart-metric-${i}`)]);
    for (const box of boxes) {
      expect(box.width).toBeGreaterThan(500);
      expect(box.height).toBeGreaterThan(100);
    }
    // Lines are drawn, not only axes.
    const paths = await page.$$eval('svg.chart path.line', (lines) => lines.map((l) => (l as SVGPathElement).getTotalLength()));
    expect(paths.length).toBeGreaterThanOrEqual(1 + 2 * data.charts.length);
    for (const length of paths) expect(length).toBeGreaterThan(10);
    expect(problems).toEqual([]);
    await page.close();
  });

  it.each(SCENARIOS)('%s: each look is a marker on the weight chart where and when the analysis ran, with its evidence on hover', async (scenario) => {
    const { page, data } = await open(scenario);
    const markers = await page.$$eval('#chart-weight circle.marker', (circles) => {
      const svg = (circles[0] as SVGCircleElement | undefined)?.ownerSVGElement;
      const box = svg?.getBoundingClientRect();
      return circles.map((c) => ({
        kind: c.getAttribute('data-kind'),
        atMs: Number(c.getAttribute('data-at-ms')),
        x: c.getBoundingClientRect().x + c.getBoundingClientRect().width / 2,
        y: c.getBoundingClientRect().y + c.getBoundingClientRect().height / 2,
        title: c.querySelector('title')?.textContent ?? '',
        svg: { left: box?.left ?? 0, top: box?.top ?? 0, width: box?.width ?? 0, height: box?.height ?? 0, from: Number(svg?.dataset.fromMs), to: Number(svg?.dataset.toMs), plotLeft: Number(svg?.dataset.plotLeft), plotWidth: Number(svg?.dataset.plotWidth), viewWidth: Number(svg?.dataset.width) },
      }));
    });
    const looks = markers.filter((m) => ['pass', 'fail', 'inconclusive'].includes(m.kind ?? ''));
    // A promoted rollout looked every interval through each bake and passed at its end; bad-canary's alarm rolled it back before its first.
    expect(data.timeline.analyses.length).toBe(data.timeline.end.outcome === 'promoted' ? data.timeline.rollout!.plan.looks.nominal : 0);
    expect(looks.map((m) => [m.kind, m.atMs])).toEqual(data.timeline.analyses.map((a) => [a.verdict, a.atMs]));
    for (const m of markers) {
      const scale = m.svg.width / m.svg.viewWidth;
      const expected = m.svg.left + (m.svg.plotLeft + ((m.atMs - m.svg.from) / (m.svg.to - m.svg.from)) * m.svg.plotWidth) * scale;
      expect(Math.abs(m.x - expected)).toBeLessThan(1.5);
    }
    for (const [i, look] of looks.entries()) expect(look.title).toContain(`Step ${data.timeline.analyses[i]!.step} at ${data.timeline.analyses[i]!.weight} %`);
    // The end is marked too: a promotion at 100 %, a rollback at 0 %.
    const end = markers.filter((m) => m.kind === 'promote' || m.kind === 'rollback').map((m) => m.kind);
    expect(end).toEqual([data.timeline.end.outcome === 'promoted' ? 'promote' : 'rollback']);
    await page.close();
  });

  it('bad-canary: the alarm that rolled it back is drawn where it went to ALARM, and the outcome reads "rolled back"', async () => {
    const { page, data } = await open('bad-canary');
    const fired = data.alarms.filter((a) => a.to === 'ALARM');
    expect(fired.length).toBeGreaterThan(0);
    const rules = await page.$$eval('#chart-weight line.marker.alarm', (lines) => lines.map((l) => Number(l.getAttribute('data-at-ms'))));
    expect(rules).toEqual(fired.map((a) => a.atMs));
    expect(await page.textContent('h1')).toContain('rolled back');
    await page.close();
  });

  it('approval: the wait at the gate is a band from the gate\'s opening to the approval, saying who approved', async () => {
    const { page, data } = await open('approval');
    expect(data.timeline.gates).toEqual([{ fromMs: expect.any(Number), toMs: expect.any(Number), step: 1, kind: 'approval', by: expect.stringContaining('alice') }]);
    const [gate] = data.timeline.gates;
    const band = await page.$eval('#chart-weight rect.band.gate', (rect) => ({
      from: Number(rect.getAttribute('data-from-ms')),
      to: Number(rect.getAttribute('data-to-ms')),
      width: rect.getBoundingClientRect().width,
      title: rect.querySelector('title')?.textContent ?? '',
    }));
    expect([band.from, band.to]).toEqual([gate!.fromMs, gate!.toMs]);
    // Alice approves two minutes after the gate opens: a band of real width, on a 50-minute axis.
    expect(band.width).toBeGreaterThan(20);
    expect(band.title).toMatch(/^Approval gate after step 1: approved by .*alice.* after 2 min$/);
    await page.close();
  });

  it.each(['light', 'dark'] as const)('healthy: a screenshot in %s is not blank', async (colorScheme) => {
    const { page } = await open('healthy', colorScheme);
    const png = await page.screenshot({ fullPage: true });
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).toBe(colorScheme === 'dark' ? 'rgb(22, 25, 29)' : 'rgb(255, 255, 255)');
    expect(await distinctColours(browser, png)).toBeGreaterThan(8);
    await page.close();
  });

  it('healthy: prints to a PDF', async () => {
    const { page } = await open('healthy');
    const pdf = await page.pdf({ format: 'A4' });
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(10_000);
    await page.close();
  });
});
