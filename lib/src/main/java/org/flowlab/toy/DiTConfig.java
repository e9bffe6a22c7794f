package org.flowlab.toy;

import com.google.gson.Gson;

/**
 * The shape of a toy DiT. Presets are tiny named factories; {@link #toy()} is the shipped teacher's.
 *
 * @param channels image (latent) channels; 3 for the toy RGB world
 * @param imageSize square side in pixels
 * @param patch patch side; 4 on 32x32 gives 64 tokens, the sweet spot on a laptop CPU (DJL-NOTES)
 * @param width model width D
 * @param depth number of transformer blocks
 * @param heads attention heads; must divide width
 * @param mlpRatio MLP hidden width = mlpRatio * width
 * @param textWidth text-encoder width E
 * @param textDepth text-encoder layers
 * @param textHeads text-encoder heads
 * @param textLength caption tokens L, {@code <bos>} and padding included
 * @param guidanceEmbed whether the model takes a Flux-style guidance value as input
 * @param samplePrediction whether the network's output is the clean image x̂ rather than the velocity; the model still
 *     answers velocities, v = (x_t - x̂) / max(sigma, {@link ToyDiT#SIGMA_FLOOR}), so samplers and losses are unchanged
 *     (Li and He 2025, "Back to Basics: Let Denoising Generative Models Denoise": a narrow network over wide pixel
 *     patches can return a clean image but not the full-dimensional noise a velocity carries)
 */
public record DiTConfig(int channels, int imageSize, int patch, int width, int depth, int heads, int mlpRatio,
                        int textWidth, int textDepth, int textHeads, int textLength, boolean guidanceEmbed,
                        boolean samplePrediction) {

    public DiTConfig {
        require(channels > 0, "channels " + channels + " must be positive");
        require(patch > 0 && imageSize % patch == 0,
                "patch " + patch + " does not divide the image size " + imageSize + "; use a divisor such as 2 or 4");
        require(width > 0 && heads > 0 && width % heads == 0,
                "heads " + heads + " do not divide width " + width);
        require(width % 4 == 0, "width " + width + " must be a multiple of 4 (2-D sin-cos position embedding)");
        require(textWidth > 0 && textHeads > 0 && textWidth % textHeads == 0,
                "text heads " + textHeads + " do not divide text width " + textWidth);
        require(depth >= 1 && textDepth >= 0 && mlpRatio >= 1, "depth " + depth + ", text depth " + textDepth
                + ", mlp ratio " + mlpRatio + ": use depth >= 1, text depth >= 0, mlp ratio >= 1");
        require(textLength >= 2, "text length " + textLength + " must be at least 2");
    }

    /** The shipped toy teacher: 32x32 RGB, patch 4 (64 tokens), width 128, 4 blocks, 4 heads. */
    public static DiTConfig toy() {
        return new DiTConfig(3, 32, 4, 128, 4, 4, 4, 64, 2, 4, 16, false, false);
    }

    /**
     * The second world's teacher on latents: 4x16x16 latents of 64x64 scenes ({@code flowlab codec train}'s default;
     * {@link #forLatents} fits another codec), patch 2 (64 tokens), width 128, 6 blocks, and
     * 40 caption tokens (three objects' words).
     */
    public static DiTConfig scenes() {
        return new DiTConfig(4, 16, 2, 128, 6, 4, 4, 64, 2, 4, 40, false, false);
    }

    /**
     * The second world's teacher on pixels: 3x64x64 scenes, patch 8 (64 tokens of 192 values), predicting the clean
     * image, otherwise as {@link #scenes()}: the codecs trained so far lose too much of a scene for a latent teacher
     * to adhere, and a velocity-predicting one never removes the last of the noise (docs/TOY-WORLD-2.md).
     */
    public static DiTConfig scenePixels() {
        return new DiTConfig(3, 64, 8, 128, 6, 4, 4, 64, 2, 4, 40, false, true);
    }

    /** The same network on another codec's (channels, size, size) latents. */
    public DiTConfig forLatents(long[] latentShape) {
        require(latentShape.length == 3 && latentShape[1] == latentShape[2], "latents "
                + java.util.Arrays.toString(latentShape) + " must be (channels, size, size)");
        return new DiTConfig((int) latentShape[0], (int) latentShape[1], patch, width, depth, heads, mlpRatio, textWidth,
                textDepth, textHeads, textLength, guidanceEmbed, samplePrediction);
    }

    /** A few thousand parameters for unit tests. */
    public static DiTConfig tiny() {
        return new DiTConfig(3, 8, 4, 16, 1, 2, 2, 8, 1, 2, 8, false, false);
    }

    public DiTConfig withGuidanceEmbed(boolean on) {
        return new DiTConfig(channels, imageSize, patch, width, depth, heads, mlpRatio, textWidth, textDepth,
                textHeads, textLength, on, samplePrediction);
    }

    public DiTConfig withSamplePrediction(boolean on) {
        return new DiTConfig(channels, imageSize, patch, width, depth, heads, mlpRatio, textWidth, textDepth,
                textHeads, textLength, guidanceEmbed, on);
    }

    public DiTConfig withSize(int newWidth, int newDepth, int newHeads) {
        return new DiTConfig(channels, imageSize, patch, newWidth, newDepth, newHeads, mlpRatio, textWidth,
                textDepth, textHeads, textLength, guidanceEmbed, samplePrediction);
    }

    public int tokens() {
        return (imageSize / patch) * (imageSize / patch);
    }

    public String toJson() {
        return new Gson().toJson(this);
    }

    public static DiTConfig fromJson(String json) {
        return new Gson().fromJson(json, DiTConfig.class);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
