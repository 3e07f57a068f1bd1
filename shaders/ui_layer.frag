#version 330 core
// The UI as rendered into its layer: colour already multiplied by coverage, alpha = coverage.
// Pixel for pixel (texelFetch: no filtering, no interpolated coordinates to pay for on llvmpipe).
uniform sampler2D layer;

out vec4 frag_color;

void main() {
    frag_color = texelFetch(layer, ivec2(gl_FragCoord.xy), 0);
}
