#version 330 core
// A round, shaded point. With OVER_LAYER defined it is drawn over a cached copy of the cloud and
// keeps only what is not behind the cloud's depth (a separate program: on llvmpipe a branch on a
// uniform still costs the texture fetch on every pixel of every point).
flat in vec3 v_color;
flat in vec3 v_veil;
flat in float v_kept;
flat in float v_hovered;

#ifdef OVER_LAYER
uniform sampler2D layer_depth;
#endif

out vec4 frag_color;

void main() {
#ifdef OVER_LAYER
    if (gl_FragCoord.z > texelFetch(layer_depth, ivec2(gl_FragCoord.xy), 0).r + 1e-6) discard;
#endif
    vec2 c = gl_PointCoord * 2.0 - 1.0;
    float r2 = dot(c, c);
    if (r2 > 1.0) discard;
    // a little spherical shading and a dark rim keep overlapping points apart
    vec3 colour = v_color * ((1.05 - 0.3 * r2) * mix(1.0, 0.45, smoothstep(0.7, 1.0, r2)));
    if (v_hovered > 0.0) colour = mix(colour, vec3(v_kept), 1.0 - smoothstep(0.45, 0.6, r2));
    frag_color = vec4(colour + v_veil, 1.0);
}
