#version 330 core
// Demo scene geometry: per-vertex colour, one model-view-projection matrix.
layout(location = 0) in vec3 position;
layout(location = 1) in vec3 color;

uniform mat4 mvp;

out vec3 v_color;

void main() {
    v_color = color;
    gl_Position = mvp * vec4(position, 1.0);
}
