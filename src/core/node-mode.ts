/** How a node is made ready (DESIGN.md "Lessons": postinstall on an image, or full provisioning). */
export type NodeMode = 'image' | 'provision';
