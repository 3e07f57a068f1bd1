#version 330 core
// The UI as rendered into its layer: colour already multiplied by coverage, alpha = coverage.
in vec2 v_uv;

uniform sampler2D layer;

out vec4 frag_color;

void main() {
    frag_color = texture(layer, v_uv);
}
