#version 330 core
// A screen-space rectangle with no vertex buffer: 4 vertices from gl_VertexID, drawn as a strip.
uniform vec4 rect;  // x0, y0, x1, y1 in normalised device coordinates

out vec2 v_uv;

void main() {
    vec2 corner = vec2(gl_VertexID & 1, gl_VertexID >> 1);
    v_uv = vec2(corner.x, 1.0 - corner.y);  // texture row 0 (the image's top) at the rectangle's top
    gl_Position = vec4(mix(rect.xy, rect.zw, corner), 0.0, 1.0);
}
