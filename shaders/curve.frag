#version 330 core
in vec2 v_local;
flat in float v_length;
in float v_t;

uniform float u_width;
uniform vec4 u_color;         // the curve ahead of the current position
uniform vec4 u_walked_color;  // the part already walked
uniform float u_current_t;    // < 0: no position, everything in u_color
uniform float u_opacity;      // 1 where the curve is in front; less where the cloud hides it
uniform float u_on_top;       // 1: the faint pass, which ignores the cloud's depth
#ifdef OVER_LAYER
// drawn over a cached copy of the cloud: the full-strength pass keeps what is not behind its depth
uniform sampler2D layer_depth;
#endif

out vec4 frag_color;

void main() {
#ifdef OVER_LAYER
    if (u_on_top < 0.5 && gl_FragCoord.z > texelFetch(layer_depth, ivec2(gl_FragCoord.xy), 0).r + 1e-6) discard;
#endif
    // distance from the segment (a capsule): round caps make the joins between segments round
    float along = clamp(v_local.x, 0.0, v_length);
    float distance_px = length(vec2(v_local.x - along, v_local.y));
    if (distance_px > 0.5 * u_width) {
        discard;
    }
    vec4 color = (u_current_t >= 0.0 && v_t <= u_current_t) ? u_walked_color : u_color;
    frag_color = vec4(color.rgb, color.a * u_opacity);
}
