#version 330 core
// Screen-space discs and rings at 3-d positions, one instance each (control points, the current position).
layout(location = 0) in vec3 a_center;
layout(location = 1) in float a_radius;  // pixels
layout(location = 2) in vec4 a_color;
layout(location = 3) in float a_style;   // 0: disc with a dark rim, 1: ring

uniform mat4 u_view_projection;
uniform vec2 u_viewport;

out vec2 v_offset;  // pixels from the centre
flat out float v_radius;
flat out vec4 v_color;
flat out float v_style;

void main() {
    vec4 clip = u_view_projection * vec4(a_center, 1.0);
    vec2 corner = vec2(float(gl_VertexID & 1), float(gl_VertexID >> 1)) * 2.0 - 1.0;
    v_offset = corner * (a_radius + 1.0);
    v_radius = a_radius;
    v_color = a_color;
    v_style = a_style;
    if (clip.w <= 0.0) {  // behind the eye
        gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
        return;
    }
    vec3 ndc = clip.xyz / clip.w;
    gl_Position = vec4(ndc.xy + v_offset * 2.0 / u_viewport, ndc.z, 1.0);
}
