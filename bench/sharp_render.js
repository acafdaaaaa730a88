// The sharp anchor: the same job as `wisaw render`, the way a Node service does it.
// Usage: node sharp_render.js FILE OUT_DIR
const sharp = require("sharp");

sharp.concurrency(1); // one libvips thread, as the other contenders get one core
sharp.cache(false);

async function main([file, out]) {
  // .rotate() with no angle applies the EXIF orientation; metadata is not kept.
  await sharp(file)
    .rotate()
    .resize(2048, 2048, { fit: "inside", withoutEnlargement: true })
    .webp({ quality: 80 })
    .toFile(`${out}/display.webp`);
  await sharp(file)
    .rotate()
    .resize({ height: 300, withoutEnlargement: true })
    .webp({ quality: 80 })
    .toFile(`${out}/thumb.webp`);
}

main(process.argv.slice(2)).catch((error) => {
  console.error(error);
  process.exit(1);
});
