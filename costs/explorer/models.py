"""Explorer models (tenant schema): saved views and exports will live here."""
