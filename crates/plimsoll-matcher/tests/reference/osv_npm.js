// Independent OSV evaluation for npm, the reference the matcher is compared with.
//
// Reads OSV records from a directory (argv[2]) and {name, version} queries as JSON lines on
// stdin; prints one JSON line per query with the ids of the records affecting it. Versions are
// ordered by node's `semver` package (found through NODE_PATH); ranges are evaluated with the
// algorithm of the OSV schema's "Evaluation" section. Written from the schema text,
// independently of the Rust code it checks.
'use strict';
const fs = require('fs');
const path = require('path');
const readline = require('readline');
const semver = require('semver');

const byName = new Map();
for (const file of fs.readdirSync(process.argv[2]).filter((f) => f.endsWith('.json')).sort()) {
  let record;
  try {
    record = JSON.parse(fs.readFileSync(path.join(process.argv[2], file), 'utf8'));
  } catch {
    continue;
  }
  if (record.withdrawn) continue;
  for (const affected of record.affected || []) {
    if (!affected.package || affected.package.ecosystem !== 'npm') continue;
    const list = byName.get(affected.package.name) || [];
    list.push([record.id, affected]);
    byName.set(affected.package.name, list);
  }
}

function parse(v) {
  const parsed = semver.parse(v);
  if (parsed === null) throw new Error(`invalid version ${v}`);
  return parsed;
}

function inRange(version, events) {
  const limits = events.filter((e) => 'limit' in e).map((e) => e.limit);
  if (limits.length > 0 && !limits.some((l) => l === '*' || semver.lt(version, parse(l)))) return false;
  const points = [];
  for (const e of events) {
    for (const kind of ['introduced', 'fixed', 'last_affected']) {
      if (kind in e) points.push([kind, e[kind]]);
    }
  }
  // Stable sort by version, "0" first.
  points.sort((a, b) => (a[1] === '0' ? -1 : b[1] === '0' ? 1 : semver.compare(parse(a[1]), parse(b[1]))));
  let vulnerable = false;
  for (const [kind, at] of points) {
    if (kind === 'introduced' && (at === '0' || semver.lte(parse(at), version))) vulnerable = true;
    else if (kind === 'fixed' && semver.lte(parse(at), version)) vulnerable = false;
    else if (kind === 'last_affected' && semver.lt(parse(at), version)) vulnerable = false;
  }
  return vulnerable;
}

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const query = JSON.parse(line);
  const ids = new Set();
  let error = null;
  try {
    const version = parse(query.version);
    for (const [id, affected] of byName.get(query.name) || []) {
      if ((affected.versions || []).includes(query.version)) ids.add(id);
      for (const range of affected.ranges || []) {
        if ((range.type === 'ECOSYSTEM' || range.type === 'SEMVER') && inRange(version, range.events || [])) ids.add(id);
      }
    }
  } catch (e) {
    error = String(e.message);
  }
  process.stdout.write(JSON.stringify({ name: query.name, version: query.version, ids: [...ids].sort(), error }) + '\n');
});
