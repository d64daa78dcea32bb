// Views are imported as text (build.mjs bundles them with esbuild's text loader).
declare module '*.html' {
  const html: string;
  export default html;
}
