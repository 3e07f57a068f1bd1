#version 330 core
// One instance per polyline segment, expanded in screen space into a quad `u_width` pixels wide and
// lengthened by half a width at both ends; curve.frag trims it to a capsule, so consecutive segments
// overlap in round joins. Core profile has no wide lines, hence the expansion.
layout(location = 0) in vec3 a_start;
layout(location = 1) in vec3 a_end;
layout(location = 2) in float a_start_t;  // arc-length fraction of each end, for colouring the walked part
layout(location = 3) in float a_end_t;

uniform mat4 u_view_projection;
uniform vec2 u_viewport;  // pixels
uniform float u_width;    // pixels
uniform float u_on_top;   // 1: every fragment at the near plane (the faint pass over whatever hides the curve)

out vec2 v_local;          // pixels: x along the segment from its start, y across from its axis
flat out float v_length;   // segment length in pixels
out float v_t;

const float NEAR_W = 1e-5;

void main() {
    vec4 clip_start = u_view_projection * vec4(a_start, 1.0);
    vec4 clip_end = u_view_projection * vec4(a_end, 1.0);
    if (clip_start.w < NEAR_W && clip_end.w < NEAR_W) {  // wholly behind the eye: a degenerate quad
        gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
        v_local = vec2(0.0);
        v_length = 0.0;
        v_t = 0.0;
        return;
    }
    // A segment crossing the eye plane is cut where w reaches NEAR_W: dividing by w <= 0 mirrors it.
    if (clip_start.w < NEAR_W) {
        clip_start = mix(clip_start, clip_end, (NEAR_W - clip_start.w) / (clip_end.w - clip_start.w));
    } else if (clip_end.w < NEAR_W) {
        clip_end = mix(clip_end, clip_start, (NEAR_W - clip_end.w) / (clip_start.w - clip_end.w));
    }
    vec3 ndc_start = clip_start.xyz / clip_start.w;
    vec3 ndc_end = clip_end.xyz / clip_end.w;
    vec2 px_start = (ndc_start.xy * 0.5 + 0.5) * u_viewport;
    vec2 px_end = (ndc_end.xy * 0.5 + 0.5) * u_viewport;
    vec2 axis = px_end - px_start;
    float len = length(axis);
    vec2 dir = len > 1e-4 ? axis / len : vec2(1.0, 0.0);
    vec2 normal = vec2(-dir.y, dir.x);
    float half_width = 0.5 * u_width;

    float at_end = float(gl_VertexID & 1);
    float side = float(gl_VertexID >> 1) * 2.0 - 1.0;
    vec2 px = mix(px_start, px_end, at_end) + dir * (at_end * 2.0 - 1.0) * half_width + normal * side * half_width;
    float depth = u_on_top > 0.5 ? -1.0 : mix(ndc_start.z, ndc_end.z, at_end);

    v_local = vec2(mix(-half_width, len + half_width, at_end), side * half_width);
    v_length = len;
    v_t = mix(a_start_t, a_end_t, at_end);
    gl_Position = vec4(px / u_viewport * 2.0 - 1.0, depth, 1.0);
}
