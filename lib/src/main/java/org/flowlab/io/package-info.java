/**
 * Files: a small safetensors codec (reads F32/F16/BF16 into fp32, writes F32/F16 with {@code __metadata__}), LoRA
 * files with diffusers/PEFT keys, atomic writes (temp file, fsync, rename) and checksummed checkpoints. Pure Java
 * byte handling, so a broken file gives an error that names it, never a crash inside native code.
 */
package org.flowlab.io;
