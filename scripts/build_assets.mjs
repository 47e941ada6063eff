// Copies the front-end packages Kalrav serves into kalrav/static/vendor (built, not committed).
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const out = join(root, "kalrav/static/vendor");
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "fonts"), { recursive: true });

cpSync(join(root, "node_modules/htmx.org/dist/htmx.min.js"), join(out, "htmx.min.js"));
// One chart library for analytics and listening, drawn in the browser from data the page embeds.
cpSync(join(root, "node_modules/chart.js/dist/chart.umd.min.js"), join(out, "chart.umd.min.js"));

// Noto Sans covers Latin and Greek; Bengali, Devanagari and Gujarati need their own faces.
const fonts = ["noto-sans", "noto-sans-bengali", "noto-sans-devanagari", "hind-vadodara"];
const weights = ["400", "600", "700"];
let css = "";
for (const name of fonts) {
  const pkg = join(root, "node_modules/@fontsource", name);
  const target = join(out, "fonts", name);
  mkdirSync(target, { recursive: true });
  for (const file of readdirSync(join(pkg, "files"))) {
    if (file.endsWith(".woff2") && file.includes("-normal") && weights.some((w) => file.includes(`-${w}-`))) {
      cpSync(join(pkg, "files", file), join(target, file));
    }
  }
  for (const weight of weights) {
    let text;
    try {
      text = readFileSync(join(pkg, `${weight}.css`), "utf8");
    } catch {
      continue;
    }
    // Keep only the woff2 source and point it at the copied file.
    text = text.replace(/url\(\.\/files\/([^)]+\.woff2)\) format\('woff2'\),\s*url\([^)]+\) format\('woff'\)/g, `url(fonts/${name}/$1) format('woff2')`);
    css += text + "\n";
  }
}
writeFileSync(join(out, "fonts.css"), css);
console.log(`assets: htmx, Chart.js and ${fonts.length} font families copied to kalrav/static/vendor`);
