#version 330 core
// The gamepad cursor on marker.vert's quads: a ring crossed by four ticks, each line in the marker's
// colour inside a dark outline, so it reads over bright points, dark space and the fog alike. The
// centre stays open: the point under the cursor shows through.
in vec2 v_offset;  // pixels from the centre
flat in float v_radius;
flat in vec4 v_color;

uniform float u_line;     // pixels, the coloured stroke
uniform float u_outline;  // pixels, the dark edge on each side

out vec4 frag_color;

void main() {
    float r = length(v_offset);
    float half_width = 0.5 * u_line;
    float ring_radius = 0.6 * v_radius;
    float ring = abs(r - ring_radius);
    // ticks along the axes, from inside the ring out to the quad's edge
    float gap = 0.35 * v_radius;
    float along = max(abs(v_offset.x), abs(v_offset.y));
    float across = min(abs(v_offset.x), abs(v_offset.y));
    float tick = along >= gap && along <= v_radius - u_outline ? across : 1e6;
    float d = min(ring, tick);
    if (d > half_width + u_outline) {
        discard;
    }
    frag_color = d <= half_width ? v_color : vec4(0.0, 0.0, 0.0, 1.0);
}
