// CSV export for the dashboard's tables: one way to turn rows into a file a spreadsheet opens
// (UTF-8 with a BOM so Excel reads "Gestión" right, ";"-free RFC 4180 with "," and CRLF),
// and to hand it to the browser as a download without a round trip to the gateway.

/**
 * One cell as CSV text. Text that a spreadsheet would run as a formula (=, +, -, @, tab or
 * CR first) gets a leading apostrophe: customer names come from imports and from the phone.
 * Numbers stay numbers.
 */
export function csvCell(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The CSV text of `rows` (objects); `columns` is [[key, "Header"], ...] in order, the same
 * list a page uses to draw its table, so the file and the table cannot drift apart.
 */
export function toCsv(rows, columns) {
  const lines = [columns.map(([, header]) => csvCell(header)).join(",")];
  for (const row of rows) lines.push(columns.map(([key]) => csvCell(row[key])).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

/** Offers `rows` as `filename` (".csv" added when missing) for download. */
export function downloadCsv(filename, rows, columns) {
  const blob = new Blob(["\uFEFF", toCsv(rows, columns)], { type: "text/csv;charset=utf-8" });
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement("a"), {
    href: url, download: filename.endsWith(".csv") ? filename : `${filename}.csv`,
  });
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started from the click; the object URL is no longer needed after it.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
