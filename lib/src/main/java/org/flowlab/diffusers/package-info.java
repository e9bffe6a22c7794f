/**
 * Real models from diffusers checkpoint folders, computed as diffusers and transformers compute them: {@link
 * org.flowlab.diffusers.ModelFolder} reads {@code config.json} and the weights (one file, shards with an index,
 * variants; F32/F16/BF16, one tensor at a time from memory-mapped files); {@link
 * org.flowlab.diffusers.FluxTransformer2DModel} and {@link org.flowlab.diffusers.SD3Transformer2DModel} are
 * {@link org.flowlab.model.FlowModel}s (fp32 or fp16 compute; Flux with block-wise recomputation), {@link
 * org.flowlab.diffusers.AutoencoderKL} is a {@link org.flowlab.model.LatentCodec}, {@link
 * org.flowlab.diffusers.CLIPTextModel} and {@link org.flowlab.diffusers.T5EncoderModel} are the text encoders the
 * pipelines use, all built from the small functions of {@code Blocks}. Every Linear carries its state_dict name, so
 * LoRA targets, files and errors use the names a researcher knows. Checked against the libraries' own outputs on tiny
 * random fixtures (src/test/resources/diffusers-parity). {@link org.flowlab.diffusers.PromptTokenizer} gives the
 * ids transformers gives ({@link org.flowlab.diffusers.CLIPTokenizer} from vocab and merges, or a tokenizer.json).
 * {@link org.flowlab.diffusers.DiffusersPipeline} opens a pipeline folder ({@code model_index.json}) as a
 * {@link org.flowlab.model.DiffusionModel}, with {@link org.flowlab.diffusers.FluxTextEncoder} and {@link
 * org.flowlab.diffusers.SD3TextEncoder} as the pipelines' text encoders. {@link org.flowlab.diffusers.Transformers}
 * is what the {@code flowlab model} commands call.
 */
package org.flowlab.diffusers;
