#version 330 core
// Test-only: unit quads placed per instance, each carrying an integer id (glVertexAttribIPointer).
layout(location = 0) in vec2 corner;       // per vertex, in [0, 1]
layout(location = 1) in vec4 rect;         // per instance: x0, y0, x1, y1 in NDC
layout(location = 2) in uint id;           // per instance
layout(location = 3) in vec3 color;        // per instance

flat out uint v_id;
out vec3 v_color;

void main() {
    v_id = id;
    v_color = color;
    gl_Position = vec4(mix(rect.xy, rect.zw, corner), 0.0, 1.0);
}
