// The soak's report: calls by outcome, latency p50/p99 over time, what the
// process held over time, the faults and how the server went through them;
// as JSON (report.json), Markdown (report.md) and a plot (soak.svg).

import * as fs from 'node:fs';
import * as path from 'node:path';

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const ms = (v) => (Number.isFinite(v) ? `${v < 10 ? v.toFixed(1) : Math.round(v)} ms` : '–');
const mib = (v) => `${(v / 2 ** 20).toFixed(1)} MiB`;
const secs = (v) => `${(v / 1000).toFixed(1)} s`;

/** The figures the report shows and the verdict on the invariants. */
export function summarize(data) {
  const { calls, began, options } = data;
  const served = calls.filter((c) => c.outcome === 'ok');
  const byOutcome = {};
  for (const c of calls) byOutcome[c.outcome] = (byOutcome[c.outcome] ?? 0) + 1;
  const ops = {};
  for (const c of calls) {
    const o = (ops[c.op] ??= { calls: 0, ok: 0, expected: 0, unexpected: 0, latencies: [] });
    o.calls += 1;
    if (c.outcome === 'ok') { o.ok += 1; o.latencies.push(c.ms); } else if (c.outcome === 'unexpected') o.unexpected += 1; else o.expected += 1;
  }
  for (const o of Object.values(ops)) {
    o.latencies.sort((a, b) => a - b);
    o.p50 = percentile(o.latencies, 50);
    o.p99 = percentile(o.latencies, 99);
    delete o.latencies;
  }
  const buckets = [];
  for (let from = began; from < data.loadEnded; from += options.bucket) {
    const inside = calls.filter((c) => c.t >= from && c.t < from + options.bucket);
    const latencies = inside.filter((c) => c.outcome === 'ok').map((c) => c.ms).sort((a, b) => a - b);
    buckets.push({
      from: from - began, calls: inside.length, ok: latencies.length,
      expected: inside.filter((c) => c.outcome.startsWith('expected')).length,
      unexpected: inside.filter((c) => c.outcome === 'unexpected').length,
      p50: percentile(latencies, 50), p99: percentile(latencies, 99),
    });
  }
  const load = data.samples.filter((s) => s.t <= data.loadEnded);
  const rss = { start: data.start.rss, peak: Math.max(...data.samples.map((s) => s.rss)), end: data.settled.rss };
  // A growth trend: the last third of the load against the middle third.
  const third = Math.floor(load.length / 3);
  const mean = (xs) => xs.reduce((a, s) => a + s.rss, 0) / Math.max(1, xs.length);
  rss.middleThird = mean(load.slice(third, 2 * third));
  rss.lastThird = mean(load.slice(2 * third));
  rss.growth = rss.middleThird > 0 ? rss.lastThird / rss.middleThird - 1 : 0;

  const apiserver = data.outage.apiserver;
  const api = {};
  if (apiserver.down) {
    const during = (apiserver.calls ?? []).filter((c) => c.t >= apiserver.down && c.t <= apiserver.back);
    const failed = during.filter((c) => !c.ok);
    api.downFor = apiserver.back - apiserver.down;
    api.callsDuring = during.length;
    api.failedDuring = failed.length;
    api.clearErrors = failed.filter((c) => /unavailable: cluster 'env-b'/.test(c.error)).length;
    api.slowestFailure = Math.max(0, ...failed.map((c) => c.ms));
    api.sampleError = failed[0]?.error;
    const firstOk = calls.filter((c) => c.op === 'read-env-b' && c.outcome === 'ok' && c.t >= apiserver.back).sort((a, b) => a.t - b.t)[0];
    api.recoveredAfter = firstOk ? firstOk.t + firstOk.ms - apiserver.back : undefined;
    api.okBefore = calls.some((c) => c.op === 'read-env-b' && c.outcome === 'ok' && c.t < apiserver.down);
  }
  const idp = {};
  if (data.outage.idp.down) {
    const during = calls.filter((c) => c.idp === 'node-oidc-provider' && c.t >= data.outage.idp.down && c.t <= data.outage.idp.back);
    idp.downFor = data.outage.idp.back - data.outage.idp.down;
    idp.callsDuring = during.length;
    idp.refusedDuring = during.filter((c) => c.outcome === 'unexpected' && /401|unauthori[sz]ed|invalid_token|signing key/i.test(c.why ?? '')).length;
  }
  const faults = {};
  for (const f of data.faults) faults[f.kind] = (faults[f.kind] ?? 0) + 1;
  const verdict = {
    'no unexpected failure': data.unexpected.length === 0 && !byOutcome.unexpected,
    'descriptors back to the start': data.settled.fds <= data.start.fds,
    'tasks back to the start': data.settled.tasks <= data.start.tasks,
    'the hostile plugin was stopped every time': data.hostile.escaped.length === 0 && data.hostile.calls > 0,
    'every call accepted before SIGTERM completed': data.drain.completed === data.drain.accepted,
    '/readyz 503 while draining': data.drain.readyz === 503,
    'a call after SIGTERM refused cleanly': /^refused/.test(data.drain.late),
    'exit code 0': data.drain.exit === 0,
    'no fault failed to run': !faults['fault failed'],
  };
  if (data.traces) verdict['spans arrived with their parents'] = data.traces.spans > 0 && data.traces.orphans === 0;
  verdict.passed = Object.values(verdict).every(Boolean);
  return { total: calls.length, served: served.length, byOutcome, ops, buckets, rss, api, idp, faults, verdict };
}

/** The plot: latency p50/p99 per bucket above, RSS and descriptors below, faults marked. */
export function plot(data, s) {
  const W = 960; const H = 520; const left = 70; const right = 70; const top = 30; const mid = 270; const bottom = 470;
  const span = Math.max(1, data.samples.at(-1).t - data.began);
  const x = (t) => left + ((t - data.began) / span) * (W - left - right);
  const p99max = Math.max(1, ...s.buckets.map((b) => (Number.isFinite(b.p99) ? b.p99 : 0)));
  const yLat = (v) => mid - 20 - (v / p99max) * (mid - 20 - top - 20);
  const rssMax = Math.max(...data.samples.map((p) => p.rss)) * 1.1;
  const yRss = (v) => bottom - (v / rssMax) * (bottom - mid - 30);
  const fdMax = Math.max(...data.samples.map((p) => Math.max(p.fds, p.tasks))) * 1.1;
  const yFd = (v) => bottom - (v / fdMax) * (bottom - mid - 30);
  const line = (points, color, dash = '') => `<polyline fill="none" stroke="${color}" stroke-width="2" ${dash ? `stroke-dasharray="${dash}"` : ''} points="${points.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ')}"/>`;
  const centre = (b) => data.began + b.from + data.options.bucket / 2;
  const lat = (key) => s.buckets.filter((b) => Number.isFinite(b[key])).map((b) => [x(centre(b)), yLat(b[key])]);
  const marks = data.faults.filter((f) => !/^plugin|^broken|^registry/.test(f.kind))
    .map((f) => `<line x1="${x(f.t)}" x2="${x(f.t)}" y1="${top}" y2="${bottom}" stroke="#b45309" stroke-dasharray="3 3"/><text x="${x(f.t) + 3}" y="${top + 10}" font-size="10" fill="#b45309" transform="rotate(90 ${x(f.t) + 3} ${top + 10})">${f.kind}</text>`);
  const ticks = [];
  for (let t = 0; t <= span; t += span > 300_000 ? 60_000 : 15_000) {
    ticks.push(`<text x="${x(data.began + t)}" y="${bottom + 16}" font-size="11" text-anchor="middle">${Math.round(t / 1000)} s</text>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H + 20}" font-family="sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
<text x="${left}" y="18" font-size="14" font-weight="bold">kube-mcp soak: ${data.options.clients} clients, ${Math.round(data.options.duration / 1000)} s, ${s.total} calls, ${s.byOutcome.unexpected ?? 0} unexpected failures</text>
<line x1="${x(data.loadEnded)}" x2="${x(data.loadEnded)}" y1="${top}" y2="${bottom}" stroke="#6b7280"/><text x="${x(data.loadEnded) + 3}" y="${mid - 4}" font-size="10" fill="#374151">load ends; settling, then SIGTERM</text>
${line(lat('p50'), '#2563eb')}
${line(lat('p99'), '#dc2626')}
<text x="${left - 6}" y="${yLat(p99max)}" font-size="11" text-anchor="end">${ms(p99max)}</text>
<text x="${left - 6}" y="${yLat(0)}" font-size="11" text-anchor="end">0</text>
<text x="${W - right + 6}" y="${top + 30}" font-size="11" fill="#dc2626">p99</text><text x="${W - right + 6}" y="${top + 46}" font-size="11" fill="#2563eb">p50</text>
<line x1="${left}" x2="${W - right}" y1="${mid}" y2="${mid}" stroke="#e5e7eb"/>
${line(data.samples.map((p) => [x(p.t), yRss(p.rss)]), '#059669')}
${line(data.samples.map((p) => [x(p.t), yFd(p.fds)]), '#7c3aed', '4 2')}
${line(data.samples.map((p) => [x(p.t), yFd(p.tasks)]), '#9ca3af', '2 2')}
<text x="${left - 6}" y="${yRss(rssMax / 1.1)}" font-size="11" text-anchor="end" fill="#059669">${mib(rssMax / 1.1)}</text>
<text x="${left - 6}" y="${bottom}" font-size="11" text-anchor="end">0</text>
<text x="${W - right + 6}" y="${yFd(fdMax / 1.1)}" font-size="11" fill="#7c3aed">${Math.round(fdMax / 1.1)}</text>
<text x="${W - right + 6}" y="${mid + 30}" font-size="11" fill="#059669">RSS</text><text x="${W - right + 6}" y="${mid + 46}" font-size="11" fill="#7c3aed">fds</text><text x="${W - right + 6}" y="${mid + 62}" font-size="11" fill="#6b7280">tasks</text>
${marks.join('\n')}
${ticks.join('\n')}
</svg>
`;
}

export function markdown(data, s) {
  const rows = (header, lines) => [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...lines.map((l) => `| ${l.join(' | ')} |`)].join('\n');
  const out = [];
  out.push(`## Soak: ${data.options.clients} clients for ${Math.round(data.options.duration / 1000)} s`);
  out.push('');
  out.push(`${s.total} calls: ${Object.entries(s.byOutcome).map(([k, v]) => `${v} ${k}`).join(', ')}.`);
  out.push('');
  out.push(rows(['operation', 'calls', 'ok', 'expected failures', 'unexpected', 'p50', 'p99'],
    Object.entries(s.ops).sort().map(([op, o]) => [op, o.calls, o.ok, o.expected, o.unexpected, ms(o.p50), ms(o.p99)])));
  out.push('');
  out.push(rows(['from', 'calls', 'ok', 'expected failures', 'unexpected', 'p50', 'p99'],
    s.buckets.map((b) => [secs(b.from), b.calls, b.ok, b.expected, b.unexpected, ms(b.p50), ms(b.p99)])));
  out.push('');
  out.push(rows(['', 'start', 'peak', 'end (after settling)'], [
    ['RSS', mib(s.rss.start), mib(s.rss.peak), mib(s.rss.end)],
    ['open descriptors', data.start.fds, Math.max(...data.samples.map((p) => p.fds)), data.settled.fds],
    ['tokio tasks', data.start.tasks, Math.max(...data.samples.map((p) => p.tasks)), data.settled.tasks],
  ]));
  out.push('');
  out.push(`RSS, mean of the last third of the load against the middle third: ${(s.rss.growth * 100).toFixed(1)}%. Descriptors and tasks settled ${secs(data.settled.after)} after the load ended.`);
  out.push('');
  out.push(`Faults: ${Object.entries(s.faults).map(([k, v]) => `${k} ×${v}`).join(', ')}; ${data.slow.opened} slow clients that never read; the hostile plugin called ${data.hostile.calls} times, stopped at its limits ${data.hostile.stopped} times.`);
  if (s.idp.downFor) out.push(`\nIdP (node-oidc-provider) down for ${secs(s.idp.downFor)}: ${s.idp.callsDuring} calls with its tokens meanwhile, ${s.idp.refusedDuring} refused.`);
  if (s.api.downFor) {
    out.push(`\nenv-b's apiserver down for ${secs(s.api.downFor)}: ${s.api.callsDuring} env-b calls meanwhile, ${s.api.failedDuring} failed, ${s.api.clearErrors} of them with the clear error (slowest ${ms(s.api.slowestFailure)}: "${s.api.sampleError ?? ''}"); the first env-b call after its return succeeded ${ms(s.api.recoveredAfter)} after it.`);
  }
  out.push(`\nSIGTERM under load: ${data.drain.completed} of ${data.drain.accepted} accepted calls completed, /readyz ${data.drain.readyz} while draining, a new call ${data.drain.late}, exit code ${data.drain.exit} after ${secs(data.drain.exitAfter)}.`);
  if (data.traces) {
    const t = data.traces;
    out.push(`\nTraces through the collector: ${t.spans} spans in ${t.traces} traces (${Object.entries(t.byName).map(([k, v]) => `${v} ${k}`).join(', ')}); ${t.orphans} without their parent; ${t.callsUnderRequests} of ${t.calls} tools/call spans under their request's span.`);
  }
  out.push(`\nServer log: ${data.server.lines} lines, ${data.server.warnings} warnings, ${data.server.errors} errors; the most frequent:\n`);
  out.push(rows(['count', 'level, target: message'], data.server.grouped.map((g) => [g.count, g.line.replace(/\|/g, '\\|')])));
  out.push('');
  out.push(rows(['invariant', 'held'], Object.entries(s.verdict).filter(([k]) => k !== 'passed').map(([k, v]) => [k, v ? 'yes' : '**no**'])));
  if (data.unexpected.length) {
    out.push('\nUnexpected failures (first 20):\n');
    for (const u of data.unexpected.slice(0, 20)) out.push(`- ${u.at} ${u.client} (${u.user}) ${u.op}: ${u.status ?? ''} ${u.error}`);
  }
  return out.join('\n');
}

/** Writes report.json, report.md and soak.svg to `dir`. */
export function writeReport(data, dir) {
  fs.mkdirSync(dir, { recursive: true });
  const s = summarize(data);
  const md = markdown(data, s);
  const files = [path.join(dir, 'report.json'), path.join(dir, 'report.md'), path.join(dir, 'soak.svg')];
  const { calls, ...rest } = data;
  fs.writeFileSync(files[0], JSON.stringify({ ...rest, summary: s, callCount: calls.length }, null, 1));
  fs.writeFileSync(files[1], `${md}\n`);
  fs.writeFileSync(files[2], plot(data, s));
  return { ...s, markdown: md, files, data: rest };
}
