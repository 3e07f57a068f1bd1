#version 330 core
flat in vec3 v_color;
flat in float v_emphasis;
flat in float v_hovered;
in float v_fog;

uniform vec3 background;
uniform float dim_amount;  // how far a dimmed class fades into the background
uniform float fog_amount;
// Drawing one point over a cached copy of the cloud: keep only what is not behind the cloud's depth.
uniform bool test_layer_depth;
uniform sampler2D layer_depth;

out vec4 frag_color;

void main() {
    if (test_layer_depth && gl_FragCoord.z > texelFetch(layer_depth, ivec2(gl_FragCoord.xy), 0).r + 1e-6) discard;
    vec2 c = gl_PointCoord * 2.0 - 1.0;
    float r2 = dot(c, c);
    if (r2 > 1.0) discard;
    // a little spherical shading and a dark rim keep overlapping points apart
    vec3 colour = v_color * (1.05 - 0.3 * r2);
    colour = mix(colour, colour * 0.45, smoothstep(0.7, 1.0, r2));
    colour = mix(colour, vec3(1.0), v_hovered * (1.0 - smoothstep(0.45, 0.6, r2)));
    colour = mix(colour, background, (1.0 - v_emphasis) * dim_amount);
    colour = mix(colour, background, v_fog * fog_amount);
    frag_color = vec4(colour, 1.0);
}
