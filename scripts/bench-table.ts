// The benchmark scripts' plain-text tables: columns padded to their widest cell, printed as rows arrive (the header
// once), so a long run shows each result as soon as it is measured.
export function tablePrinter(): (rows: string[][]) => void {
  let printed = 0;
  return (rows) => {
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)));
    const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
    if (printed === 0) console.log(line(rows[0]));
    for (const r of rows.slice(Math.max(1, printed))) console.log(line(r));
    printed = rows.length;
  };
}
