"""Rectification notices (隐患整改通知书, and 整改复查意见书 after a verification): their
numbers, the devices' serials that keep the numbers unique, and the printed document."""
