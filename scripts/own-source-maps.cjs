/**
 * A bundle's source map cut down to coalmine's own sources. With --enable-source-maps Node reads a module's
 * map when it loads the module, at every cold start; most of a bundle is the AWS SDK, zod and Powertools,
 * whose mappings point at node_modules files that are not deployed and whose frames nobody debugs. Those
 * mappings (and their sources and names) are dropped: a frame in that code shows the bundle's own line and
 * column, and a frame in coalmine's code still shows the TypeScript file, line and column.
 *
 * The mappings format is Source Map Revision 3: per generated line (`;`), segments (`,`) of 1, 4 or 5
 * base64 VLQ fields, each relative to the previous one (the column to the previous segment of the line,
 * the others to the previous segment that has them).
 */
const { readFileSync, writeFileSync } = require('node:fs');

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DIGIT = new Map([...BASE64].map((char, value) => [char, value]));

function decodeSegment(text) {
  const fields = [];
  let value = 0;
  let shift = 0;
  for (const char of text) {
    const digit = DIGIT.get(char);
    if (digit === undefined) throw new Error(`not a source map mapping: ${JSON.stringify(text)}`);
    value += (digit & 31) << shift;
    if (digit & 32) shift += 5;
    else {
      fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return fields;
}

function encodeField(field) {
  let value = field < 0 ? (-field << 1) | 1 : field << 1;
  let text = '';
  do {
    const digit = value & 31;
    value >>>= 5;
    text += BASE64[value > 0 ? digit | 32 : digit];
  } while (value > 0);
  return text;
}

/** Whether a map's source is one of coalmine's own files rather than a dependency's. */
const isOwnSource = (source) => !source.split(/[\\/]/).includes('node_modules');

/** The map with only the mappings into coalmine's own sources; the sources and names no mapping uses are gone. */
function ownSourceMap(map) {
  const sourceIndex = new Map();
  const nameIndex = new Map();
  const sources = [];
  const names = [];
  const indexOf = (index, list, value) => {
    if (!index.has(value)) index.set(value, list.push(value) - 1);
    return index.get(value);
  };
  // The running values of the map as read (absolute), and of the map as written (to encode the deltas).
  const read = { source: 0, line: 0, column: 0, name: 0 };
  const written = { source: 0, line: 0, column: 0, name: 0 };
  const lines = map.mappings.split(';').map((line) => {
    let readColumn = 0;
    let writtenColumn = 0;
    // A dropped mapping leaves an unmapped segment, so that its code is not taken for the mapping before it.
    let unmapped = true;
    const out = [];
    for (const text of line.split(',')) {
      if (text === '') continue;
      const [column, source, sourceLine, sourceColumn, name] = decodeSegment(text);
      readColumn += column;
      let own = false;
      if (source !== undefined) {
        read.source += source;
        read.line += sourceLine;
        read.column += sourceColumn;
        if (name !== undefined) read.name += name;
        own = isOwnSource(map.sources[read.source]);
      }
      if (!own) {
        if (unmapped) continue;
        out.push(encodeField(readColumn - writtenColumn));
        writtenColumn = readColumn;
        unmapped = true;
        continue;
      }
      const next = { source: indexOf(sourceIndex, sources, map.sources[read.source]), line: read.line, column: read.column };
      let segment = [readColumn - writtenColumn, next.source - written.source, next.line - written.line, next.column - written.column];
      if (name !== undefined) {
        const nameAt = indexOf(nameIndex, names, map.names[read.name]);
        segment = [...segment, nameAt - written.name];
        written.name = nameAt;
      }
      Object.assign(written, next);
      writtenColumn = readColumn;
      unmapped = false;
      out.push(segment.map(encodeField).join(''));
    }
    return out.join(',');
  });
  // Built without sourcesContent (serverless.yml): a trace needs the mappings and names only.
  return { version: map.version, sources, names, mappings: lines.join(';') };
}

/** Rewrites the source map file at `path` to its own sources. */
function trimSourceMapFile(path) {
  writeFileSync(path, JSON.stringify(ownSourceMap(JSON.parse(readFileSync(path, 'utf8')))));
}

module.exports = { ownSourceMap, trimSourceMapFile };
