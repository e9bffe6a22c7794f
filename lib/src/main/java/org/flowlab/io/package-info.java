/**
 * Files: a small safetensors codec (reads F32/F16/BF16 into fp32, writes F32/F16 with {@code __metadata__}), LoRA
 * files per model component in the diffusers/PEFT layout ({@code transformer.<module>.lora_A.weight} and
 * {@code lora_adapter_metadata}) and the kohya layout ({@code lora_unet_*}, read and written), atomic writes (temp
 * file, fsync, rename) and checksummed checkpoints. Pure Java byte handling, so a broken file gives an error that
 * names it, never a crash inside native code.
 */
package org.flowlab.io;
