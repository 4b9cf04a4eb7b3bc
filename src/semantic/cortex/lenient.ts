/**
 * Cortex models are read by Snowflake with a lenient YAML parser (PyYAML), which accepts a quoted
 * value whose continuation lines are indented less than its key; YAML 1.2 (and the `yaml`
 * package) rejects it. Snowflake's own quickstart model is written that way, so such files are
 * re-indented before parsing. Leading whitespace of a quoted scalar's continuation lines is folded
 * away, so the values are unchanged, and line numbers stay the same.
 */

export interface RelaxedQuote {
  key: string;
  /** 1-based position of the opening quote. */
  line: number;
  column: number;
}

const QUOTED_VALUE = /^( *)(- +)?([^\s#'"{}[\],][^:#]*?):[ \t]+(["'])/;

/** Index just past the closing quote on `line`, or -1 when the value continues on the next line. */
function closingQuote(line: string, from: number, quote: string): number {
  for (let i = from; i < line.length; i++) {
    const char = line[i];
    if (quote === '"' && char === '\\') i++;
    else if (char === quote) {
      if (quote === "'" && line[i + 1] === "'") i++;
      else return i + 1;
    }
  }
  return -1;
}

export function relaxQuotedIndentation(text: string): { text: string; relaxed: RelaxedQuote[] } {
  const lines = text.split('\n');
  const relaxed: RelaxedQuote[] = [];
  for (let i = 0; i < lines.length; i++) {
    const match = QUOTED_VALUE.exec(lines[i]!);
    if (!match || closingQuote(lines[i]!, match[0].length, match[4]!) !== -1) continue;
    const keyIndent = match[1]!.length + (match[2]?.length ?? 0);
    let changed = false;
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j]!;
      if (line.trim() !== '' && line.length - line.trimStart().length <= keyIndent) {
        lines[j] = ' '.repeat(keyIndent + 2) + line.trimStart();
        changed = true;
      }
      if (closingQuote(lines[j]!, 0, match[4]!) !== -1) break;
    }
    if (changed) relaxed.push({ key: match[3]!.trim(), line: i + 1, column: match[0].length });
    i = j;
  }
  return { text: lines.join('\n'), relaxed };
}
