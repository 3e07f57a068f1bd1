#version 330 core
in vec4 v_color;
in float v_fog;

uniform float fog_amount;

out vec4 frag_color;

void main() {
    frag_color = vec4(v_color.rgb, v_color.a * (1.0 - v_fog * fog_amount));
}
