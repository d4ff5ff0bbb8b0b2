from duely_runtime.migrations import run_env
from duely_portal.models import Base

run_env(Base.metadata)
