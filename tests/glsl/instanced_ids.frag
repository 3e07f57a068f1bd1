#version 330 core
flat in uint v_id;
in vec3 v_color;

layout(location = 0) out vec4 frag_color;
layout(location = 1) out uint frag_id;

void main() {
    frag_color = vec4(v_color, 1.0);
    frag_id = v_id;
}
