#version 330 core
// Point ids (index + 1; 0 means nothing) for picking, same round footprint as points.frag.
flat in uint v_id;

out uint frag_id;

void main() {
    vec2 c = gl_PointCoord * 2.0 - 1.0;
    if (dot(c, c) > 1.0) discard;
    frag_id = v_id;
}
