#version 330 core
in vec2 v_local;
flat in float v_length;
in float v_t;

uniform float u_width;
uniform vec4 u_color;         // the curve ahead of the current position
uniform vec4 u_walked_color;  // the part already walked
uniform float u_current_t;    // < 0: no position, everything in u_color
uniform float u_opacity;      // 1 where the curve is in front; less where the cloud hides it

out vec4 frag_color;

void main() {
    // distance from the segment (a capsule): round caps make the joins between segments round
    float along = clamp(v_local.x, 0.0, v_length);
    float distance_px = length(vec2(v_local.x - along, v_local.y));
    if (distance_px > 0.5 * u_width) {
        discard;
    }
    vec4 color = (u_current_t >= 0.0 && v_t <= u_current_t) ? u_walked_color : u_color;
    frag_color = vec4(color.rgb, color.a * u_opacity);
}
