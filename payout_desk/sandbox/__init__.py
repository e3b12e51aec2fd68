"""The provider emulator (Starlette on uvicorn) described by shared/provider/SPEC.md."""
