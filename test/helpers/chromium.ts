// Launch settings for Debian's Chromium (Playwright cannot download a browser here). WebGPU runs on the SwiftShader
// Vulkan built into Chromium. The resolver rule keeps Chromium from calling out to the network.
export const chromiumPath = process.env.BERTGPU_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumArgs = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost',
];
