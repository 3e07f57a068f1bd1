#version 330 core
in vec2 v_offset;
flat in float v_radius;
flat in vec4 v_color;
flat in float v_style;

uniform float u_rim;  // pixels

out vec4 frag_color;

void main() {
    float r = length(v_offset);
    if (r > v_radius) {
        discard;
    }
    bool rim = r > v_radius - u_rim;
    if (v_style > 0.5) {  // ring: only the rim, in the marker's colour, with a dark inner edge
        if (r < v_radius - 2.0 * u_rim) {
            discard;
        }
        frag_color = rim ? v_color : vec4(0.0, 0.0, 0.0, 1.0);
    } else {
        frag_color = rim ? vec4(0.0, 0.0, 0.0, 1.0) : v_color;
    }
}
