"""Task <-> Storage object identity: the dict and objects given to
set_storage_mounts are the ones the task keeps (as in SkyPilot), and deep
copies get their own."""
import copy

import sky


def test_storage_objects_are_kept_and_read_live():
    s = sky.Storage(name='b')
    mounts = {'/m': s}
    t = sky.Task().set_storage_mounts(mounts)
    assert t.storage_mounts is mounts
    s.force_delete = True
    mounts['/n'] = sky.Storage(name='c', mode=sky.StorageMode.COPY)
    fm = t.to_yaml_config()['file_mounts']
    assert fm['/m']['_force_delete'] is True
    assert fm['/n']['mode'] == 'COPY'


def test_storage_mounts_attribute_assignment():
    t = sky.Task()
    t.storage_mounts = {'/x': sky.Storage(source='s3://bkt')}
    assert t.to_yaml_config()['file_mounts'] == {
        '/x': {'source': 's3://bkt', 'persistent': True, 'mode': 'MOUNT'}}


def test_deepcopy_copies_storage_and_keeps_run_generator():
    def gen(rank, ips):
        del ips
        return f'echo {rank}'

    t = sky.Task(run=gen).set_storage_mounts({'/m': sky.Storage(name='b')})
    c = copy.deepcopy(t)
    assert c.run is gen
    assert c.storage_mounts['/m'] is not t.storage_mounts['/m']
    assert c.to_yaml_config()['file_mounts'] == t.to_yaml_config()['file_mounts']
    assert repr(c) == repr(t) == 'Task(run=<fn>)\n  resources: default instances'


def test_storage_subclass_from_yaml_config():
    class MyStorage(sky.Storage):
        pass

    s = MyStorage.from_yaml_config({'name': 'x', 'mode': 'copy'})
    assert type(s) is MyStorage
    assert s.to_yaml_config() == {'name': 'x', 'persistent': True, 'mode': 'COPY'}
    s.extra = 1  # plain attributes work, as on SkyPilot's Storage
    assert s.extra == 1
