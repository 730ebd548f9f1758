// Vite's `?raw` imports: a file's text, bundled at build time (tests in workerd cannot read files at run time).
declare module "*?raw" {
  const text: string;
  export default text;
}
