#version 330 core
layout(location = 0) in vec3 a_position;
layout(location = 1) in vec4 a_color;

uniform mat4 view_projection;
uniform mat4 view;
uniform vec2 fog_range;

out vec4 v_color;
out float v_fog;

void main() {
    gl_Position = view_projection * vec4(a_position, 1.0);
    v_color = a_color;
    v_fog = smoothstep(fog_range.x, fog_range.y, -(view * vec4(a_position, 1.0)).z);
}
