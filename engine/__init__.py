"""Generic real-time engine: window, fixed-step loop, input, GL toolkit, ImGui, capture. Knows nothing of VAEs."""
