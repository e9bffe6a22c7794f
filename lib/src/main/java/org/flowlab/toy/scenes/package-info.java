/**
 * The second toy world's data: captions that leave attributes open ({@link org.flowlab.toy.scenes.SceneSpec},
 * read by {@link org.flowlab.toy.scenes.SceneCaptions}) and the 64x64 scenes drawn from them
 * ({@link org.flowlab.toy.scenes.Scenes}): one to three shapes with textures and rotation, every free attribute drawn
 * per sample from separate modes, so that few Euler steps average a prompt's pictures into blur as real models' do.
 */
package org.flowlab.toy.scenes;
