"""viewflow pieces the open-source edition lacks, for one branch per agency.

``DataSplit`` is ``Split().Next(node, data_source=...)``: one task per item, the item becoming
the task's data. ``split_branch_add`` gives an agency added after the fan-out its own branch
while the join still waits. Both use viewflow 2.4.0 internals (``_create``, ``_activate_next``,
``_next`` and the split token format): the version is pinned, and tests cover both.
"""

from viewflow.workflow import flow
from viewflow.workflow.activation import Activation
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.nodes.split import SplitActivation
from viewflow.workflow.status import STATUS
from viewflow.workflow.token import Token


class DataSplitActivation(SplitActivation):
    @Activation.status.super()
    def activate(self):
        for node, condition, data_source in self.flow_task._branches:
            if condition and not condition(self):
                continue
            if data_source is None:
                self.next_tasks.append((node, None))
            else:
                self.next_tasks.extend((node, item) for item in data_source(self))
        if not self.next_tasks:
            raise FlowRuntimeError(f"No next task available for {self.flow_task.name}")


class DataSplit(flow.Split):
    """A split with one branch per item of ``data_source`` (as viewflow's documentation has)."""

    activation_class = DataSplitActivation

    def Next(self, node, case=None, data_source=None):  # noqa: N802 - viewflow's naming
        self._activate_next.append((node, case, data_source))
        return self


def split_branch_add(process, split_node, branch_node, join_node, data: dict):
    """Add one more branch to a split whose join has not fired yet; returns the new task.

    Call under the flow's lock. Refuses once the join has passed, because a branch then would
    run everything after the join a second time.
    """
    tasks = process.flow_class.task_class._default_manager.filter(process=process)
    split_task = tasks.filter(flow_task=split_node, status=STATUS.DONE).order_by("-pk").first()
    if (
        split_task is None
        or tasks.filter(flow_task=join_node, status=STATUS.DONE)
        .filter(pk__gt=split_task.pk)
        .exists()
    ):
        raise FlowRuntimeError("The agency reports stage has no open fan-out to join.")
    prefix = f"{split_task.token}/{split_task.pk}_"
    used = [
        int(str(task.token)[len(prefix) :].split("/")[0])
        for task in tasks.filter(token__startswith=prefix)
    ]
    split_activation = split_node.activation_class(split_task)
    token = Token(f"{prefix}{max(used, default=0) + 1}")
    activation = branch_node._create(split_activation, token, data=data)
    split_activation._activate_next({activation})
    return activation.task
