"""One small class per ImGui panel."""
