#version 330 core
// The rectangles the UI covers, in normalised device coordinates: the UI layer laid over the frame.
layout(location = 0) in vec2 a_corner;

void main() {
    gl_Position = vec4(a_corner, 0.0, 1.0);
}
