"""What promotion's routes take and return, one module per resource."""
