from duely_notifications.models import Base
from duely_runtime.migrations import run_env

run_env(Base.metadata)
